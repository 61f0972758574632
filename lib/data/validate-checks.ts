import type { FeatureSpec, PipelineSpec } from '../spec/pipeline-spec.js';
import { MAX_EXAMPLES, type IssueExample, type Severity } from './errors.js';

/** Column checks of the validation gate (see `validate.ts`). Internal to lib/data. */

/** Share of rows above which out-of-range and unknown-category values are errors instead of warnings. */
export const RANGE_ERROR_SHARE = 0.05;
/** Missing rate (within the allowed maximum) reported as a warning. */
export const MISSING_WARNING_RATE = 0.05;

/** A problem found by a check, with a short phrase for the report's summary line. */
export interface Finding {
  severity: Severity;
  code: string;
  column?: string;
  count: number;
  examples: IssueExample[];
  message: string;
  brief: string;
}

/** What the checks share: where findings go and how table rows map to source record numbers. */
export interface CheckContext {
  rows: number;
  rowNo: (index: number) => number;
  add: (finding: Finding) => void;
}

type NumericFeature = Extract<FeatureSpec, { type: 'numeric' }>;
type CategoricalFeature = Extract<FeatureSpec, { type: 'categorical' }>;

export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function exampleText(examples: readonly IssueExample[]): string {
  if (examples.length === 0) return '';
  return `, e.g. ${examples
    .slice(0, 3)
    .map((e) => `row ${e.row}: ${JSON.stringify(e.value)}`)
    .join(', ')}`;
}

/** Out-of-range values of a numeric feature; returns the missing (NaN) count and first missing rows. */
export function checkNumeric(
  f: NumericFeature,
  values: Float64Array,
  ctx: CheckContext,
): { missing: number; missingRows: number[] } {
  const min = f.constraints.min ?? -Infinity;
  const max = f.constraints.max ?? Infinity;
  const missingRows: number[] = [];
  const examples: IssueExample[] = [];
  let missing = 0;
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      missing++;
      if (missingRows.length < MAX_EXAMPLES) missingRows.push(i);
    } else if (v < min || v > max) {
      outside++;
      if (examples.length < MAX_EXAMPLES) examples.push({ row: ctx.rowNo(i), value: String(v) });
    }
  }
  if (outside > 0) {
    const share = outside / ctx.rows;
    const range = `[${f.constraints.min ?? '-inf'}, ${f.constraints.max ?? '+inf'}]`;
    ctx.add({
      severity: share > RANGE_ERROR_SHARE ? 'error' : 'warning',
      code: 'out_of_range',
      column: f.name,
      count: outside,
      examples,
      message: `column "${f.name}": ${plural(outside, 'value')} (${pct(share)}) outside ${range}${exampleText(examples)}`,
      brief: `${f.name} out of range ${pct(share)}`,
    });
  }
  return { missing, missingRows };
}

/** Unknown categories of a categorical feature; returns the missing count and first missing rows. */
export function checkCategorical(
  f: CategoricalFeature,
  values: ReadonlyArray<string | null>,
  ctx: CheckContext,
): { missing: number; missingRows: number[] } {
  const allowed = f.constraints.values !== undefined ? new Set(f.constraints.values) : null;
  const missingRows: number[] = [];
  const examples: IssueExample[] = [];
  const unknown = new Map<string, number>();
  let missing = 0;
  let outside = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === '') {
      missing++;
      if (missingRows.length < MAX_EXAMPLES) missingRows.push(i);
    } else if (allowed !== null && !allowed.has(v)) {
      outside++;
      unknown.set(v, (unknown.get(v) ?? 0) + 1);
      if (examples.length < MAX_EXAMPLES) examples.push({ row: ctx.rowNo(i), value: v });
    }
  }
  if (outside > 0 && allowed !== null) {
    const share = outside / ctx.rows;
    const top = [...unknown]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([v, c]) => `"${v}" ×${c}`)
      .join(', ');
    ctx.add({
      severity: share > RANGE_ERROR_SHARE ? 'error' : 'warning',
      code: 'unknown_category',
      column: f.name,
      count: outside,
      examples,
      message: `column "${f.name}": ${plural(outside, 'value')} (${pct(share)}) outside [${[...allowed].join(', ')}]: ${top}${exampleText(examples)}`,
      brief: `${f.name} unknown categories ${pct(share)}`,
    });
  }
  return { missing, missingRows };
}

/** Missing values against `nullable` and `maxMissingRate`; above 5% (within the limit) is a warning. */
export function checkMissing(f: FeatureSpec, missing: number, examples: IssueExample[], ctx: CheckContext): void {
  if (missing === 0 || ctx.rows === 0) return;
  const rate = missing / ctx.rows;
  const more = missing > examples.length ? ', ...' : '';
  const rowsText = examples.length > 0 ? ` (rows ${examples.map((e) => e.row).join(', ')}${more})` : '';
  const base = { column: f.name, count: missing, examples };
  const limit = f.constraints.maxMissingRate;
  if (!f.constraints.nullable) {
    ctx.add({
      ...base,
      severity: 'error',
      code: 'not_nullable',
      message: `column "${f.name}" is not nullable but has ${plural(missing, 'missing value')}${rowsText}`,
      brief: `${f.name} not nullable, ${missing} missing`,
    });
  } else if (rate > limit) {
    ctx.add({
      ...base,
      severity: 'error',
      code: 'missing_rate_exceeded',
      message: `column "${f.name}" is missing in ${pct(rate)} of rows, above maxMissingRate ${pct(limit)}${rowsText}`,
      brief: `${f.name} missing ${pct(rate)} > ${pct(limit)}`,
    });
  } else if (rate > MISSING_WARNING_RATE) {
    ctx.add({
      ...base,
      severity: 'warning',
      code: 'high_missing_rate',
      message: `column "${f.name}" is missing in ${pct(rate)} of rows (allowed up to ${pct(limit)})`,
      brief: `${f.name} missing ${pct(rate)}`,
    });
  }
}

/**
 * Label checks: missing values; fewer than two classes; binary: exactly two classes including
 * `label.positive`; regression: numeric values. Returns the missing count.
 */
export function checkLabel(
  values: ReadonlyArray<string | null>,
  label: PipelineSpec['label'],
  ctx: CheckContext,
): number {
  const name = label.name;
  const counts = new Map<string, number>();
  const missingExamples: IssueExample[] = [];
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === '') {
      missing++;
      if (missingExamples.length < MAX_EXAMPLES) missingExamples.push({ row: ctx.rowNo(i), value: '' });
    } else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const error = (code: string, count: number, examples: IssueExample[], message: string, brief: string): void =>
    ctx.add({ severity: 'error', code, column: name, count, examples, message, brief });
  if (missing > 0) {
    const text = `label "${name}" is missing in ${plural(missing, 'row')}${exampleText(missingExamples)}`;
    error('label_missing', missing, missingExamples, text, `label ${name} missing ×${missing}`);
  }
  const classes = [...counts].sort((a, b) => b[1] - a[1]);
  const listed = classes
    .slice(0, 5)
    .map(([v, c]) => `"${v}" ×${c}`)
    .concat(classes.length > 5 ? ['...'] : [])
    .join(', ');
  /** Offending rows: values outside `keep`, and how many there are. */
  const outside = (keep: ReadonlySet<string>): { n: number; examples: IssueExample[] } => {
    const examples: IssueExample[] = [];
    for (let i = 0; i < values.length && examples.length < MAX_EXAMPLES; i++) {
      const v = values[i];
      if (v !== null && v !== undefined && v !== '' && !keep.has(v)) examples.push({ row: ctx.rowNo(i), value: v });
    }
    return { n: classes.filter(([v]) => !keep.has(v)).reduce((s, [, c]) => s + c, 0), examples };
  };
  if (label.task === 'regression') {
    const { n, examples } = outside(new Set([...counts.keys()].filter((v) => Number.isFinite(Number(v)))));
    const text = `label "${name}" must be numeric for regression; ${plural(n, 'value')} are not${exampleText(examples)}`;
    if (n > 0) error('invalid_label', n, examples, text, `label ${name} not numeric ×${n}`);
  }
  if (classes.length < 2) {
    const only = classes[0]?.[0];
    const text =
      only === undefined ? `label "${name}" has no values` : `label "${name}" is constant: every row is "${only}"`;
    error('label_constant', values.length, [], text, `label ${name} constant`);
  } else if (label.task === 'binary' && classes.length > 2) {
    const other = classes.find(([v]) => v !== label.positive)?.[0] ?? '';
    const { n, examples } = outside(new Set([label.positive, other]));
    const text = `binary label "${name}" must have exactly two classes, found ${classes.length}: ${listed}${exampleText(examples)}`;
    error('invalid_label', n, examples, text, `label ${name} has ${classes.length} classes`);
  } else if (label.task === 'binary' && !counts.has(label.positive)) {
    const text = `binary label "${name}": positive class "${label.positive}" (label.positive) not found; classes are ${listed}`;
    error('label_positive_missing', values.length, [], text, `label ${name} lacks positive "${label.positive}"`);
  }
  return missing;
}
