import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { IssueCollector } from './errors.js';
import { CategoryCoder } from './category-codes.js';
import type { CategoricalCodes, FeatureTable } from './table.js';

/**
 * Cell coercion shared by the CSV/JSONL reader and {@link recordsToTable}: raw values in, typed columns out.
 *
 * Missing values: `null`, `undefined`, and strings that trim to "", "NA", "N/A", "null" or "None" (any case).
 * Numeric cells accept finite numbers and plain decimal strings ("12", "-3.5", "1e3"). "NaN", "inf", text,
 * booleans and objects are NOT accepted: the cell becomes missing (NaN) and an error issue is recorded
 * (`non_finite_number`, `invalid_number`, `invalid_value_type`).
 * Categorical cells are trimmed strings; finite numbers and booleans are stringified; objects are recorded as
 * `invalid_value_type`. Missing categories are always `null`, never "".
 */

const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'na', 'n/a', 'null', 'none']);
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
/** Distinct values interned per categorical column (beyond this, strings are stored as parsed). */
const INTERN_LIMIT = 10_000;

/** Whether a trimmed string denotes a missing value. */
export function isMissingToken(text: string): boolean {
  return text.length === 0 || (text.length <= 4 && MISSING_TOKENS.has(text.toLowerCase()));
}

/** Short printable form of a raw value for issue examples. */
export function describeRaw(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 57)}...` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    const json = JSON.stringify(value) ?? String(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Where a column's values go in a {@link TableBuilder}. */
export type ColumnSlot =
  { kind: 'numeric' | 'categorical'; index: number; name: string } | { kind: 'label'; index: 0; name: string };

/**
 * Accumulates rows into growable typed columns (Float64Array for numeric features), without per-row objects.
 * Columns never set for a row stay missing.
 */
export class TableBuilder {
  private readonly numericNames: string[] = [];
  private readonly categoricalNames: string[] = [];
  private numeric: Float64Array[] = [];
  private categorical: Array<Array<string | null>> = [];
  private readonly coders: CategoryCoder[] = [];
  private label: Array<string | null> | null;
  private readonly labelIntern = new Map<string, string>();
  private records: Uint32Array;
  private capacity: number;
  private count = 0;
  private contiguous = true;

  constructor(
    features: readonly FeatureSpec[],
    labelName: string | undefined,
    readonly issues: IssueCollector,
    readonly source: string,
    initialCapacity = 1024,
  ) {
    this.capacity = Math.max(16, initialCapacity);
    for (const f of features) {
      if (f.type === 'numeric') {
        this.numericNames.push(f.name);
        this.numeric.push(new Float64Array(this.capacity).fill(NaN));
      } else {
        this.categoricalNames.push(f.name);
        this.categorical.push([]);
        this.coders.push(new CategoryCoder(this.capacity, INTERN_LIMIT));
      }
    }
    this.label = labelName === undefined ? null : [];
    this.records = new Uint32Array(this.capacity);
  }

  /** The slot of a spec column (feature or label), or undefined for columns outside the spec. */
  slotOf(name: string, labelName: string | undefined): ColumnSlot | undefined {
    if (labelName !== undefined && name === labelName) return { kind: 'label', index: 0, name };
    const n = this.numericNames.indexOf(name);
    if (n >= 0) return { kind: 'numeric', index: n, name };
    const c = this.categoricalNames.indexOf(name);
    if (c >= 0) return { kind: 'categorical', index: c, name };
    return undefined;
  }

  /** Appends an all-missing row for source record `recordNo` (1-based) and returns its index. */
  addRow(recordNo: number): number {
    if (this.count === this.capacity) this.grow();
    const row = this.count++;
    this.records[row] = recordNo;
    if (recordNo !== row + 1) this.contiguous = false;
    for (const col of this.categorical) col.push(null);
    this.label?.push(null);
    return row;
  }

  /** Sets one cell from a raw value (string from CSV, any JSON value from JSONL/records). */
  set(slot: ColumnSlot, row: number, raw: unknown): void {
    if (slot.kind === 'numeric') {
      (this.numeric[slot.index] as Float64Array)[row] = this.toNumber(slot.name, raw, row);
    } else if (slot.kind === 'categorical') {
      const text = this.toCategory(slot.name, raw, row, undefined);
      const coder = this.coders[slot.index] as CategoryCoder;
      (this.categorical[slot.index] as Array<string | null>)[row] =
        text === null ? coder.clear(row) : coder.set(row, text);
    } else if (this.label !== null) {
      this.label[row] = this.toCategory(slot.name, raw, row, this.labelIntern);
    }
  }

  /** Number of rows so far. */
  get rowCount(): number {
    return this.count;
  }

  /** The finished table plus the source record number of each row (null when row i is record i+1). */
  build(): { table: FeatureTable; sourceRows: Uint32Array | null } {
    const n = this.count;
    const numeric: Record<string, Float64Array> = {};
    this.numericNames.forEach((name, i) => {
      const col = this.numeric[i] as Float64Array;
      // A view when the spare capacity is small (no copy of a 3M-row column), else a compact copy.
      numeric[name] = col.length === n ? col : col.length - n <= n / 8 ? col.subarray(0, n) : col.slice(0, n);
    });
    const categorical: Record<string, Array<string | null>> = {};
    const categoricalCodes: Record<string, CategoricalCodes> = {};
    this.categoricalNames.forEach((name, i) => {
      categorical[name] = this.categorical[i] as Array<string | null>;
      const codes = (this.coders[i] as CategoryCoder).build(n);
      if (codes !== null) categoricalCodes[name] = codes;
    });
    return {
      table: { rowCount: n, numeric, categorical, categoricalCodes, label: this.label },
      sourceRows: this.contiguous ? null : this.records.slice(0, n),
    };
  }

  private grow(): void {
    const next = this.capacity * 2;
    this.numeric = this.numeric.map((col) => {
      const bigger = new Float64Array(next).fill(NaN);
      bigger.set(col);
      return bigger;
    });
    for (const coder of this.coders) coder.grow(next);
    const records = new Uint32Array(next);
    records.set(this.records);
    this.records = records;
    this.capacity = next;
  }

  private toNumber(column: string, raw: unknown, row: number): number {
    if (typeof raw === 'number') {
      if (Number.isFinite(raw)) return raw;
      this.issue('non_finite_number', column, row, raw, 'is not a finite number');
      return NaN;
    }
    if (typeof raw === 'string') {
      const text = raw.trim();
      if (isMissingToken(text)) return NaN;
      if (DECIMAL.test(text)) {
        const value = Number(text);
        if (Number.isFinite(value)) return value;
        this.issue('non_finite_number', column, row, raw, 'overflows to infinity');
        return NaN;
      }
      if (NON_FINITE.test(text)) this.issue('non_finite_number', column, row, raw, 'is not a finite number');
      else this.issue('invalid_number', column, row, raw, 'is not a number');
      return NaN;
    }
    if (raw === null || raw === undefined) return NaN;
    this.issue('invalid_value_type', column, row, raw, `is a ${typeof raw}, expected a number`);
    return NaN;
  }

  private toCategory(
    column: string,
    raw: unknown,
    row: number,
    intern: Map<string, string> | undefined,
  ): string | null {
    let text: string;
    if (typeof raw === 'string') text = raw.trim();
    else if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') text = String(raw);
    else if (raw === null || raw === undefined || typeof raw === 'number') return null;
    else {
      this.issue(
        'invalid_value_type',
        column,
        row,
        raw,
        `is a ${Array.isArray(raw) ? 'array' : typeof raw}, expected a string`,
      );
      return null;
    }
    if (isMissingToken(text)) return null;
    if (intern === undefined) return text;
    const known = intern.get(text);
    if (known !== undefined) return known;
    if (intern.size < INTERN_LIMIT) intern.set(text, text);
    return text;
  }

  private issue(code: string, column: string, row: number, raw: unknown, what: string): void {
    const recordNo = this.records[row] ?? row + 1;
    const value = describeRaw(raw);
    this.issues.add(
      'error',
      code,
      column,
      recordNo,
      value,
      () => `${this.source}: column "${column}" row ${recordNo}: "${value}" ${what}`,
    );
  }
}
