import type { CategoricalCodes } from './table.js';

/**
 * Interns the values of one categorical column and records a dictionary code per row (-1 = missing), so
 * statistics can count categories over an Int32Array instead of looking strings up per row. Past `limit`
 * distinct values the column is no longer encoded (values are still returned, uninterned).
 */
export class CategoryCoder {
  private codes: Int32Array;
  private readonly index = new Map<string, number>();
  private readonly dictionary: string[] = [];
  private overflow = false;

  constructor(
    capacity: number,
    private readonly limit: number,
  ) {
    this.codes = new Int32Array(capacity).fill(-1);
  }

  /** Records `text` at `row` and returns its interned string. */
  set(row: number, text: string): string {
    let code = this.index.get(text);
    if (code === undefined) {
      if (this.dictionary.length >= this.limit) {
        this.overflow = true;
        return text;
      }
      code = this.dictionary.length;
      this.index.set(text, code);
      this.dictionary.push(text);
    }
    this.codes[row] = code;
    return this.dictionary[code] as string;
  }

  /** Marks `row` missing; returns null. */
  clear(row: number): null {
    this.codes[row] = -1;
    return null;
  }

  /** Grows the code array to `capacity` rows (new rows missing). */
  grow(capacity: number): void {
    const bigger = new Int32Array(capacity).fill(-1);
    bigger.set(this.codes.subarray(0, Math.min(this.codes.length, capacity)));
    this.codes = bigger;
  }

  /** The codes of the first `rows` rows, or null when the column overflowed the dictionary limit. */
  build(rows: number): CategoricalCodes | null {
    if (this.overflow) return null;
    const spare = this.codes.length - rows;
    const codes =
      spare === 0 ? this.codes : spare <= rows / 8 ? this.codes.subarray(0, rows) : this.codes.slice(0, rows);
    return { codes, dictionary: this.dictionary };
  }
}
