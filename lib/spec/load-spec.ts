import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { SpecValidationError, type SpecProblem } from './errors.js';
import { pipelineSpecSchema, type PipelineSpec } from './pipeline-spec.js';

/** Formats a zod path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function describeFound(issue: z.core.$ZodIssue): string {
  if (!('input' in issue) || issue.code === 'unrecognized_keys') return '';
  const input = issue.input;
  // Objects (e.g. the whole spec, for cross-field checks) are not worth echoing.
  if (input === undefined || (typeof input === 'object' && input !== null && !Array.isArray(input))) return '';
  const text = JSON.stringify(input);
  if (text === undefined) return '';
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return issue.message.includes(shown) ? '' : `; found ${shown}`;
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required field is missing (expected ${issue.expected})`;
      return `expected ${issue.expected}${describeFound(issue)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${describeFound(issue)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        const input = issue.input as Record<string, unknown> | undefined;
        const found = input && typeof input === 'object' ? JSON.stringify(input[issue.discriminator]) : undefined;
        return `${issue.message.replace(/^Invalid discriminator value\. /, '')} for "${issue.discriminator}"${found ? `; found ${found}` : ''}`;
      }
      return `${issue.message}${describeFound(issue)}`;
    default:
      return `${issue.message}${describeFound(issue)}`;
  }
}

/**
 * Validates an already-parsed spec object. Throws {@link SpecValidationError} listing every problem.
 * `lineOf` maps a path to its YAML line when the object came from YAML.
 */
export function validateSpec(
  raw: unknown,
  source = '<spec>',
  lineOf: (path: readonly PropertyKey[]) => number | undefined = () => undefined,
): PipelineSpec {
  const result = pipelineSpecSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const problems: SpecProblem[] = result.error.issues.map((issue) => {
    const path =
      issue.code === 'unrecognized_keys' && issue.keys.length === 1 ? [...issue.path, issue.keys[0]!] : issue.path;
    const line = lineOf(path) ?? lineOf(issue.path);
    const problem: SpecProblem = { path: formatPath(issue.path), message: describe(issue) };
    if (line !== undefined) problem.line = line;
    return problem;
  });
  throw new SpecValidationError(source, problems);
}

/** Parses and validates spec YAML text. Syntax errors and schema errors both become {@link SpecValidationError}. */
export function parseSpec(text: string, source = '<spec>'): PipelineSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecValidationError(
      source,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
        message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    );
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      if (n === 0) return undefined;
    }
    return undefined;
  };
  return validateSpec(doc.toJS(), source, lineOf);
}

/** Reads, parses and validates a spec file. */
export async function loadSpecFile(path: string): Promise<PipelineSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SpecValidationError(path, [{ path: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseSpec(text, path);
}
