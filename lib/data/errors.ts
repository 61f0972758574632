/** Problems found while reading or checking a dataset. */

/** How bad an issue is: errors fail the validation gate, warnings do not. */
export type Severity = 'error' | 'warning';

/** One offending cell or record: 1-based data record number (header excluded) and the raw value. */
export interface IssueExample {
  row: number;
  value: string;
}

/**
 * One kind of problem in one column (or in the file), aggregated: `count` occurrences, the first few as
 * `examples`. JSON-shaped.
 *
 * Codes raised by the reader: `missing_column`, `missing_label_column`, `duplicate_column`, `extra_column`,
 * `ragged_row`, `invalid_json`, `invalid_record`, `invalid_number`, `non_finite_number`, `invalid_value_type`.
 */
export interface DataIssue {
  severity: Severity;
  code: string;
  column?: string;
  /** First affected record (1-based, header excluded), when the issue concerns records. */
  row?: number;
  /** How many cells/records are affected (1 for file-level issues). */
  count: number;
  /** Up to {@link MAX_EXAMPLES} offending values with their record numbers. */
  examples: IssueExample[];
  /** Human-readable, names the source, column and first record. */
  message: string;
}

/** How many examples an issue keeps. */
export const MAX_EXAMPLES = 5;

/** The dataset cannot be read at all (empty, header only, unparseable, unsupported format). Permanent. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    /** Where the bytes came from (URI or file name). */
    readonly source: string,
    message: string,
    /** 1-based line of the problem in the file, when known. */
    readonly line?: number,
  ) {
    super(`${source}${line !== undefined ? `:${line}` : ''}: ${message}`);
  }
}

/**
 * Collects issues, merging repeats of the same code and column into one {@link DataIssue} with a count,
 * so a bad column in 3M rows yields one issue, not 3M.
 */
export class IssueCollector {
  private readonly byKey = new Map<string, DataIssue>();

  /**
   * Records one occurrence. `describe` builds the message from the first occurrence only (called once per key).
   */
  add(
    severity: Severity,
    code: string,
    column: string | undefined,
    row: number | undefined,
    value: string | undefined,
    describe: () => string,
  ): void {
    const key = `${code}\u0000${column ?? ''}`;
    let issue = this.byKey.get(key);
    if (issue === undefined) {
      issue = { severity, code, count: 0, examples: [], message: describe() };
      if (column !== undefined) issue.column = column;
      if (row !== undefined) issue.row = row;
      this.byKey.set(key, issue);
    }
    issue.count++;
    if (row !== undefined && value !== undefined && issue.examples.length < MAX_EXAMPLES) {
      issue.examples.push({ row, value });
    }
  }

  /** Total occurrences of `code` in `column`. */
  countOf(code: string, column?: string): number {
    return this.byKey.get(`${code}\u0000${column ?? ''}`)?.count ?? 0;
  }

  /** All issues, errors first, then in insertion order; messages of repeated issues end with the total. */
  list(): DataIssue[] {
    const all = [...this.byKey.values()].map((i) =>
      i.count > 1
        ? { ...i, examples: [...i.examples], message: `${i.message} (${i.count} in all)` }
        : { ...i, examples: [...i.examples] },
    );
    return [...all.filter((i) => i.severity === 'error'), ...all.filter((i) => i.severity === 'warning')];
  }
}

/**
 * Longest CSV record or JSONL line read (64 MiB): a longer one is a {@link DatasetError}, not a string past V8's
 * limit (a RangeError, which would be retried forever). `ReadDatasetOptions.maxRecordBytes` overrides it.
 */
export const MAX_RECORD_BYTES = 64 << 20;

/** The DatasetError for a record or line longer than `limit` bytes. */
export function recordTooLong(source: string, line: number, limit: number, hint = ''): DatasetError {
  const size =
    limit >= 1 << 20 && limit % (1 << 20) === 0
      ? `${limit >> 20} MiB`
      : limit >= 1024 && limit % 1024 === 0
        ? `${limit >> 10} KiB`
        : `${limit} bytes`;
  return new DatasetError(source, `line ${line} is longer than ${size}, the limit per record${hint}`, line);
}
