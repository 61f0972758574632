/**
 * Streaming dataset reads from `file://` and from S3 (the shared SeaweedFS from test/global-setup.ts): the same
 * table and sha256 as reading the object whole, checksum verification at the end of the stream, and the same
 * errors as `readUri` for missing objects and unreachable endpoints.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ArtifactChecksumError,
  ArtifactNotFoundError,
  ArtifactStoreUnreachableError,
  ArtifactUriError,
} from '../../lib/artifacts/errors.js';
import { FileArtifactStore } from '../../lib/artifacts/file-store.js';
import { openUriStream, readUri, type ReadUriOptions } from '../../lib/artifacts/open-store.js';
import { S3ArtifactStore } from '../../lib/artifacts/s3-store.js';
import { readDataset, type ReadDatasetOptions } from '../../lib/data/read-dataset.js';
import { readDatasetStream } from '../../lib/data/read-dataset-stream.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

const options: ReadDatasetOptions = {
  format: 'csv',
  features: [
    { name: 'age', type: 'numeric', constraints: { nullable: true, maxMissingRate: 1 } },
    { name: 'city', type: 'categorical', constraints: { nullable: true, maxMissingRate: 1 } },
  ],
  labelName: 'y',
  source: 'data.csv',
};

/** ~5 MB of CSV: more than one 4 MiB file chunk and CSV segment, with quoted newlines here and there. */
function bigCsv(): string {
  const rows = Array.from({ length: 150_000 }, (_, i) =>
    i % 1000 === 0 ? `${i},"two\nlines",${i % 2}` : `${i / 4},city-${i % 17},${i % 2}`,
  );
  return `age,city,y\n${rows.join('\n')}\n`;
}

/** Reads the stream through the dataset reader; gives the result and the streamed sha256. */
async function streamDataset(uri: string, opts: ReadUriOptions = {}) {
  const stream = await openUriStream(uri, opts);
  const read = await readDatasetStream(stream, {
    ...options,
    ...(stream.size !== undefined ? { sizeBytes: stream.size } : {}),
  });
  return { read, sha256: stream.sha256(), size: stream.size };
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('streaming reads from file://', () => {
  let dir: string;
  const text = bigCsv();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-stream-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the table and sha256 of the whole-file read', async () => {
    const file = path.join(dir, 'data.csv');
    await writeFile(file, text);
    const uri = pathToFileURL(file).href;
    const whole = readDataset(await readUri(uri), options);
    const streamed = await streamDataset(uri);
    expect(streamed.sha256).toBe(sha(text));
    expect(streamed.size).toBe(Buffer.byteLength(text));
    expect(streamed.read.table.rowCount).toBe(150_000);
    expect(streamed.read).toEqual(whole);
    // Relative URIs resolve against `cwd`, as with readUri.
    const relative = await openUriStream('file://./data.csv', { cwd: dir });
    let bytes = 0;
    for await (const chunk of relative) bytes += chunk.length;
    expect(bytes).toBe(Buffer.byteLength(text));
    expect(relative.sha256()).toBe(sha(text));
  });

  it('verifies the expected checksum and a store sidecar at the end of the stream', async () => {
    const file = path.join(dir, 'plain.csv');
    await writeFile(file, 'age,city,y\n1,paris,1\n');
    const uri = pathToFileURL(file).href;
    await expect(streamDataset(uri, { expectedSha256: sha('other') })).rejects.toBeInstanceOf(ArtifactChecksumError);
    expect((await streamDataset(uri, { expectedSha256: sha('age,city,y\n1,paris,1\n') })).read.table.rowCount).toBe(1);

    const store = new FileArtifactStore(pathToFileURL(path.join(dir, 'store')).href);
    const ref = await store.put('datasets/d.csv', 'age,city,y\n1,paris,1\n');
    expect((await streamDataset(ref.uri)).sha256).toBe(ref.sha256);
    await writeFile(path.join(dir, 'store', 'datasets', 'd.csv'), 'age,city,y\n2,rome,0\n'); // sidecar kept
    const err = await errorOf(streamDataset(ref.uri));
    expect(err).toBeInstanceOf(ArtifactChecksumError);
    expect(err).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha('age,city,y\n2,rome,0\n') });
    await expect(readUri(ref.uri)).rejects.toBeInstanceOf(ArtifactChecksumError);
  });

  it('throws ArtifactNotFoundError naming the URI for missing files and directories, like readUri', async () => {
    const missing = pathToFileURL(path.join(dir, 'nope.csv')).href;
    const err = await errorOf(openUriStream(missing));
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect(err).toMatchObject({ uri: missing, message: `artifact not found: ${missing}` });
    expect((await errorOf(readUri(missing))).message).toBe(err.message);
    await mkdir(path.join(dir, 'a-dir'), { recursive: true });
    await expect(openUriStream(pathToFileURL(path.join(dir, 'a-dir')).href)).rejects.toBeInstanceOf(
      ArtifactNotFoundError,
    );
    await expect(openUriStream('ftp://x/y')).rejects.toBeInstanceOf(ArtifactUriError);
  });

  it('has no sha256 before the end, and can be closed early', async () => {
    const file = path.join(dir, 'early.csv');
    await writeFile(file, text);
    const stream = await openUriStream(pathToFileURL(file).href);
    for await (const chunk of stream) {
      expect(chunk.length).toBeGreaterThan(0);
      break; // closes the file
    }
    expect(() => stream.sha256()).toThrow(/not been read to the end/);
    const unread = await openUriStream(pathToFileURL(file).href);
    await unread.close();
    await expect(unread[Symbol.asyncIterator]().next()).rejects.toThrow(/only once/);
  });
});

describe('streaming reads from S3 (SeaweedFS)', () => {
  const bucket = `mlops-stream-${randomBytes(4).toString('hex')}`;
  let admin: S3Client;
  let store: S3ArtifactStore;
  const text = bigCsv();

  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] = inject('s3AccessKeyId');
    process.env['AWS_SECRET_ACCESS_KEY'] = inject('s3SecretAccessKey');
    process.env['AWS_REGION'] = inject('s3Region');
    process.env['AWS_ENDPOINT_URL_S3'] = inject('s3Endpoint');
    admin = new S3Client({
      endpoint: inject('s3Endpoint'),
      region: inject('s3Region'),
      forcePathStyle: true,
      credentials: { accessKeyId: inject('s3AccessKeyId'), secretAccessKey: inject('s3SecretAccessKey') },
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    store = new S3ArtifactStore(`s3://${bucket}/data/`);
  });

  afterAll(() => {
    admin?.destroy();
  });

  it('gives the table and sha256 of the whole-object read, for store objects and plain uploads', async () => {
    const ref = await store.put('big.csv', text);
    const whole = readDataset(await readUri(ref.uri), options);
    const streamed = await streamDataset(ref.uri);
    expect(streamed.sha256).toBe(ref.sha256);
    expect(streamed.size).toBe(ref.size);
    expect(streamed.read).toEqual(whole);

    // Uploaded by someone else: no sha256 metadata, nothing to verify against, still hashed.
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain/small.csv', Body: 'age,city,y\n1,rome,0\n' }));
    const plain = await streamDataset(`s3://${bucket}/plain/small.csv`, { s3: { endpoint: inject('s3Endpoint') } });
    expect(plain.sha256).toBe(sha('age,city,y\n1,rome,0\n'));
    expect(plain.read.table.categorical.city).toEqual(['rome']);
  });

  it('reads a Parquet object through the stream (spooled, then read by column chunk): same table and sha256', async () => {
    const bytes = await readFile(new URL('../fixtures/data/parquet/churn_snappy.parquet', import.meta.url));
    const ref = await store.put('churn.parquet', bytes);
    const parquet: ReadDatasetOptions = {
      format: 'parquet',
      features: [
        { name: 'tenure_months', type: 'numeric', constraints: { nullable: true, maxMissingRate: 1 } },
        { name: 'plan', type: 'categorical', constraints: { nullable: true, maxMissingRate: 1 } },
      ],
      labelName: 'churned',
      source: ref.uri,
    };
    const stream = await openUriStream(ref.uri);
    const streamed = await readDatasetStream(stream, parquet);
    expect(stream.sha256()).toBe(sha(bytes));
    expect(streamed).toEqual(readDataset(bytes, parquet));
    expect(streamed.table.rowCount).toBe(240);
  });

  it('verifies the recorded sha256 at the end of the stream', async () => {
    const ref = await store.put('tampered.csv', 'age,city,y\n1,paris,1\n');
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'data/tampered.csv',
        Body: 'age,city,y\n9,rome,0\n',
        Metadata: { sha256: ref.sha256 },
      }),
    );
    const err = await errorOf(streamDataset(ref.uri));
    expect(err).toBeInstanceOf(ArtifactChecksumError);
    expect(err).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha('age,city,y\n9,rome,0\n') });
    const ok = await store.put('fine.csv', 'age,city,y\n1,paris,1\n');
    await expect(streamDataset(ok.uri, { expectedSha256: sha('other') })).rejects.toBeInstanceOf(ArtifactChecksumError);
  });

  it('throws ArtifactNotFoundError naming the URI for a missing object, like readUri', async () => {
    const uri = `s3://${bucket}/data/missing.csv`;
    const err = await errorOf(openUriStream(uri));
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect(err).toMatchObject({ uri });
    expect((await errorOf(readUri(uri))).message).toBe(err.message);
    await expect(openUriStream(`s3://${bucket}/data/`)).rejects.toBeInstanceOf(ArtifactUriError);
  });

  it('fails like readUri when the endpoint is unreachable', async () => {
    const uri = `s3://${bucket}/data/big.csv`;
    const s3 = { endpoint: 'http://127.0.0.1:9', forcePathStyle: true };
    const streamErr = await errorOf(openUriStream(uri, { s3 }));
    const readErr = await errorOf(readUri(uri, { s3 }));
    expect(streamErr).not.toBeInstanceOf(ArtifactNotFoundError);
    expect(streamErr.name).toBe(readErr.name);
    expect((streamErr as NodeJS.ErrnoException).code).toBe((readErr as NodeJS.ErrnoException).code);
    expect(streamErr.message).toBe(readErr.message);
    // The message names the object, the endpoint and the cause; the error is retried (the store may come back).
    expect(streamErr).toBeInstanceOf(ArtifactStoreUnreachableError);
    expect(streamErr.message).toMatch(
      new RegExp(
        `^${uri.replaceAll('.', '\\.')}: cannot reach the S3 endpoint http://127\\.0\\.0\\.1:9: .*ECONNREFUSED`,
      ),
    );
  });
});
