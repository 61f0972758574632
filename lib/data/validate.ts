import type { PipelineSpec } from '../spec/pipeline-spec.js';
import { FIXED_ERROR_CHECKS } from '../spec/validation-spec.js';
import type { DataIssue, IssueExample, Severity } from './errors.js';
import type { FeatureTable } from './table.js';
import {
  checkCategorical,
  checkLabel,
  checkMissing,
  checkNumeric,
  type CheckContext,
  type Finding,
} from './validate-checks.js';
import { clip } from '../clip.js';

export { MISSING_WARNING_RATE, RANGE_ERROR_SHARE } from './validate-checks.js';

/** The validation gate: checks a read dataset against the spec's feature constraints and label. */

/** One kind of problem in one column (or the file). JSON-shaped. */
export interface Anomaly {
  severity: Severity;
  code: string;
  column?: string;
  message: string;
  /** Affected rows (or cells); 1 for file-level problems. */
  count: number;
  /** First offending rows (1-based source record numbers, header excluded) and their values. */
  examples: IssueExample[];
}

/** Missing-value statistics of one spec column. */
export interface ColumnSummary {
  name: string;
  type: 'numeric' | 'categorical' | 'label';
  /** Cells missing in the table, those the reader rejected (see `rejected`) included. */
  missing: number;
  missingRate: number;
  /** Of `missing`, the cells whose values the reader rejected (type errors); absent when none. */
  rejected?: number;
}

/** Result of {@link validateDataset}. JSON-shaped. */
export interface ValidationReport {
  rows: number;
  /** Number of anomalies with severity error (not rows). */
  errors: number;
  warnings: number;
  /** Errors first. */
  anomalies: Anomaly[];
  columns: ColumnSummary[];
  /** No errors. */
  passed: boolean;
  /** One line, e.g. "5000 rows, 0 errors, 1 warning: data_usage_gb missing 8.1%". */
  summary: string;
}

/** Options of {@link validateDataset}. */
export interface ValidateOptions {
  /** Issues from `readDataset` (type errors, missing/duplicate columns, ragged rows); they become anomalies. */
  issues?: readonly DataIssue[];
  /** `readDataset`'s `sourceRows`, so examples name the file's record numbers. */
  sourceRows?: Uint32Array | null;
  /** Fewer rows is an error (default 50). */
  minRows?: number;
  /**
   * Severity per check code (the spec's `validation.severity`): replaces the built-in severity of those findings;
   * `off` drops them. Codes in `FIXED_ERROR_CHECKS` are not configurable and are ignored here.
   */
  severity?: Readonly<Partial<Record<string, Severity | 'off'>>>;
}

const READ_TYPE_CODES = new Set(['invalid_number', 'non_finite_number', 'invalid_value_type']);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Checks `table` against the spec. Errors (the gate fails): read issues of severity error (wrong types,
 * missing or duplicate columns, ragged rows, bad JSON lines), missing rate above `maxMissingRate`, missing
 * values in a non-nullable feature, fewer than `minRows` rows, and label problems (column absent, missing
 * values, constant, not exactly two classes for binary, positive class absent, non-numeric for regression).
 * Out-of-range numbers and unknown categories are warnings, errors when they affect more than 5% of rows.
 * Missing rates above 5% (within the limit) and extra columns are warnings. Cells the reader rejected (type
 * errors) are reported as type errors and, as they are missing in the table, count in the missing rate too (its
 * message says how many of the missing cells were rejected values).
 */
export function validateDataset(
  table: FeatureTable,
  spec: Pick<PipelineSpec, 'features' | 'label'>,
  options: ValidateOptions = {},
): ValidationReport {
  const rows = table.rowCount;
  const sourceRows = options.sourceRows ?? null;
  const issues = options.issues ?? [];
  const found: Finding[] = issues.map((i) => ({
    severity: i.severity,
    code: i.code,
    ...(i.column !== undefined ? { column: i.column } : {}),
    count: i.count,
    examples: i.examples,
    message: i.message,
    brief: `${i.column ?? 'file'} ${i.code.replaceAll('_', ' ')}${i.count > 1 ? ` ×${i.count}` : ''}`,
  }));
  const ctx: CheckContext = {
    rows,
    rowNo: (i) => (sourceRows !== null ? (sourceRows[i] ?? i + 1) : i + 1),
    add: (finding) => found.push(finding),
  };
  const absent = new Set(
    issues.filter((i) => i.code === 'missing_column' || i.code === 'missing_label_column').map((i) => i.column),
  );
  const columns: ColumnSummary[] = [];
  const minRows = options.minRows ?? 50;
  if (rows < minRows) {
    const message = `only ${plural(rows, 'row')}; at least ${minRows} are needed`;
    ctx.add({ severity: 'error', code: 'too_few_rows', count: 1, examples: [], message, brief: `only ${rows} rows` });
  }

  for (const f of spec.features) {
    const numeric = f.type === 'numeric' ? table.numeric[f.name] : undefined;
    const categorical = f.type === 'categorical' ? table.categorical[f.name] : undefined;
    if (absent.has(f.name) || (numeric === undefined && categorical === undefined)) {
      columns.push({ name: f.name, type: f.type, missing: rows, missingRate: rows > 0 ? 1 : 0 });
      if (absent.has(f.name)) continue;
      const message = `required ${f.type} feature column "${f.name}" is missing`;
      ctx.add({
        severity: 'error',
        code: 'missing_column',
        column: f.name,
        count: rows,
        examples: [],
        message,
        brief: `${f.name} missing column`,
      });
      continue;
    }
    const checked =
      f.type === 'numeric'
        ? checkNumeric(f, numeric ?? new Float64Array(0), ctx)
        : checkCategorical(f, categorical ?? [], ctx);
    // Every cell missing in the table counts, those the reader rejected too (with `invalid_number: warning` a
    // column of text passes on as NaN): the rate says how many of them were rejected values.
    const rejected = issues
      .filter((i) => i.column === f.name && READ_TYPE_CODES.has(i.code))
      .reduce((s, i) => s + i.count, 0);
    const missing = checked.missing;
    const missingExamples = checked.missingRows.map((i) => ({ row: ctx.rowNo(i), value: '' }));
    checkMissing(f, missing, missingExamples, rejected > 0 ? withRejected(ctx, Math.min(rejected, missing)) : ctx);
    columns.push({
      name: f.name,
      type: f.type,
      missing,
      missingRate: rows > 0 ? missing / rows : 0,
      ...(rejected > 0 ? { rejected: Math.min(rejected, missing) } : {}),
    });
  }

  const labelName = spec.label.name;
  if (!absent.has(labelName)) {
    if (table.label === null) {
      const message = `label column "${labelName}" is missing`;
      ctx.add({
        severity: 'error',
        code: 'missing_label_column',
        column: labelName,
        count: rows,
        examples: [],
        message,
        brief: `label ${labelName} missing`,
      });
    } else {
      const missing = checkLabel(table.label, spec.label, ctx);
      columns.push({ name: labelName, type: 'label', missing, missingRate: rows > 0 ? missing / rows : 0 });
    }
  }

  const overridden = applySeverity(found, options.severity ?? {});
  const ordered = [
    ...overridden.filter((a) => a.severity === 'error'),
    ...overridden.filter((a) => a.severity === 'warning'),
  ];
  const errors = ordered.filter((a) => a.severity === 'error').length;
  const warnings = ordered.length - errors;
  const head = `${rows} rows, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  const briefs = ordered.slice(0, 3).map((a) => a.brief);
  const more = ordered.length > 3 ? `; +${ordered.length - 3} more` : '';
  const summary = briefs.length > 0 ? `${head}: ${briefs.join('; ')}${more}` : head;
  const anomalies = ordered.map(({ brief: _brief, ...a }): Anomaly => a);
  return { rows, errors, warnings, anomalies, columns, passed: errors === 0, summary };
}

/** `ctx` whose missing-value findings say that `rejected` of the missing cells were values the reader rejected. */
function withRejected(ctx: CheckContext, rejected: number): CheckContext {
  const note = `includes ${plural(rejected, 'invalid value')} rejected by the reader`;
  return {
    ...ctx,
    add: (finding) =>
      ctx.add({ ...finding, message: `${finding.message}; ${note}`, brief: `${finding.brief} (${rejected} invalid)` }),
  };
}

/** Findings with the configured severities applied (`off` removes them); fixed checks keep theirs. */
function applySeverity(found: Finding[], severity: Readonly<Partial<Record<string, Severity | 'off'>>>): Finding[] {
  const fixed: ReadonlySet<string> = new Set(FIXED_ERROR_CHECKS);
  const out: Finding[] = [];
  for (const f of found) {
    const configured = fixed.has(f.code) ? undefined : severity[f.code];
    if (configured === 'off') continue;
    out.push(configured === undefined ? f : { ...f, severity: configured });
  }
  return out;
}

/**
 * The report of a dataset that cannot be read at all (empty, header only, malformed, corrupt): one error anomaly,
 * `unreadable_dataset`, with the reader's message (which names the source and, when known, the line).
 */
export function unreadableDatasetReport(message: string): ValidationReport {
  const anomaly: Anomaly = { severity: 'error', code: 'unreadable_dataset', message, count: 1, examples: [] };
  const short = clip(message, 200);
  return {
    rows: 0,
    errors: 1,
    warnings: 0,
    anomalies: [anomaly],
    columns: [],
    passed: false,
    summary: `0 rows, 1 error: unreadable dataset: ${short}`,
  };
}

/** The most severe problems as human lines (for `ValidateDataResult.topProblems`). */
export function topProblems(report: ValidationReport, limit = 5): string[] {
  return report.anomalies.slice(0, limit).map((a) => `${a.severity}: ${a.message}`);
}
