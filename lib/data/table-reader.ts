import { TableBuilder } from './columns.js';
import { DatasetError, IssueCollector } from './errors.js';
import type { ReadDatasetOptions, ReadDatasetResult } from './read-dataset.js';

/** What the CSV and JSONL table readers share (see `read-text.ts`). */

/** Extrapolate the row count from a sample only when it is at least this big (else grow as rows come). */
const MIN_SAMPLE_BYTES = 1 << 20;

/** The result, or a {@link DatasetError} when no row is usable. */
export function finishTable(builder: TableBuilder, columns: string[], source: string): ReadDatasetResult {
  const issues = builder.issues.list();
  if (builder.rowCount === 0) {
    const firstError = issues.find((i) => i.severity === 'error');
    throw new DatasetError(source, `no usable rows${firstError ? `: ${firstError.message}` : ''}`);
  }
  const { table, sourceRows } = builder.build();
  return { table, issues, sourceRows, columns };
}

/** Counts bytes and lines until the table builder is needed, then creates it with a capacity estimated from them. */
export abstract class TableReader {
  private created: TableBuilder | null = null;
  private bytesSeen = 0;
  private linesSeen = 0;

  constructor(
    protected readonly options: ReadDatasetOptions,
    protected readonly source: string,
    private readonly totalBytes: number | undefined,
  ) {}

  protected sample(bytes: Uint8Array): void {
    if (this.created !== null) return;
    this.bytesSeen += bytes.length;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) this.linesSeen++;
  }

  protected get builder(): TableBuilder {
    if (this.created === null) {
      let rows = this.linesSeen + 1;
      const total = this.totalBytes ?? 0;
      if (total > this.bytesSeen && this.bytesSeen >= MIN_SAMPLE_BYTES) {
        // A little over the extrapolated count, so that a close estimate needs no doubling.
        rows = Math.min(Math.ceil((rows * total * 1.02) / this.bytesSeen) + 16, Math.ceil(total / 2) + 1);
      }
      this.created = new TableBuilder(
        this.options.features,
        this.options.labelName,
        new IssueCollector(),
        this.source,
        rows,
      );
    }
    return this.created;
  }
}
