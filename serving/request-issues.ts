import type { z } from 'zod';

/** One problem with a request body, addressed by a JS-style path such as `records[3].tenure_months`. */
export interface RequestIssue {
  path: string;
  message: string;
}

/** Most issues returned in one 400 body; the rest are counted in `truncated`. */
export const MAX_REPORTED_ISSUES = 100;

/** Body of every 400 response caused by an invalid request body. */
export interface InvalidRequestBody {
  error: 'invalid_request';
  issues: RequestIssue[];
  /** How many further issues were found but not listed. */
  truncated?: number;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a path like `['records', 3, 'tenure_months']` as `records[3].tenure_months` (`''` is the body itself). */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** Short human description of a received JSON value, for messages like `expected number, found "abc"`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/**
 * Converts zod issues into request issues: unknown keys become one `unknown field` issue per key, at the key's
 * own path, so every issue names the exact field.
 */
export function toRequestIssues(
  issues: ReadonlyArray<z.core.$ZodIssue>,
  prefix: ReadonlyArray<PropertyKey> = [],
): RequestIssue[] {
  const out: RequestIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown field' });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** Builds a 400 body, listing at most {@link MAX_REPORTED_ISSUES} issues. */
export function invalidRequest(issues: RequestIssue[]): InvalidRequestBody {
  if (issues.length <= MAX_REPORTED_ISSUES) return { error: 'invalid_request', issues };
  return {
    error: 'invalid_request',
    issues: issues.slice(0, MAX_REPORTED_ISSUES),
    truncated: issues.length - MAX_REPORTED_ISSUES,
  };
}
