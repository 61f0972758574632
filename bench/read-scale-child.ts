/**
 * One measurement of `read-scale.ts`, in a process of its own so that its peak RSS is its own:
 *   tsx bench/read-scale-child.ts <whole|stream> <csv|parquet> <path>
 * Prints one JSON line: { ms, rows, peakRssMiB, baselineRssMiB }.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { openUriStream } from '../lib/artifacts/open-store.js';
import { readDataset, type ReadDatasetResult } from '../lib/data/read-dataset.js';
import { readDatasetStream } from '../lib/data/read-dataset-stream.js';
import { READ_SCALE_FEATURES } from './read-scale-data.js';
import { peakRssMiB, rssMiB } from './harness.js';

const [mode, format, file] = process.argv.slice(2);
if ((mode !== 'whole' && mode !== 'stream') || (format !== 'csv' && format !== 'parquet') || !file) {
  console.error('usage: read-scale-child.ts <whole|stream> <csv|parquet> <path>');
  process.exit(2);
}
const options = { format, features: READ_SCALE_FEATURES, labelName: 'y', source: file } as const;
const baselineRssMiB = rssMiB();
const started = performance.now();
let result: ReadDatasetResult;
if (mode === 'whole') {
  result = readDataset(await readFile(file), options);
} else {
  const stream = await openUriStream(pathToFileURL(file).href);
  result = await readDatasetStream(stream, {
    ...options,
    ...(stream.size !== undefined ? { sizeBytes: stream.size } : {}),
  });
  stream.sha256(); // read to the end and hashed, as validateData does
}
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, rows: result.table.rowCount, peakRssMiB: peakRssMiB(), baselineRssMiB }));
