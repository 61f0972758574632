/**
 * S3ArtifactStore against a real S3-compatible server (the shared SeaweedFS from test/global-setup.ts). Credentials
 * reach the store the production way: through the AWS default provider chain (environment variables here).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities/errors.js';
import {
  ArtifactChecksumError,
  ArtifactNotFoundError,
  ArtifactStoreUnreachableError,
  ArtifactUriError,
} from '../../lib/artifacts/errors.js';
import { openArtifactStore, readUri } from '../../lib/artifacts/open-store.js';
import { parseS3Uri, S3ArtifactStore } from '../../lib/artifacts/s3-store.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('S3ArtifactStore on SeaweedFS', () => {
  const bucket = `mlops-test-${randomBytes(4).toString('hex')}`;
  let admin: S3Client;
  let store: S3ArtifactStore;

  beforeAll(async () => {
    // The default credential chain reads these; the endpoint comes from AWS_ENDPOINT_URL_S3.
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
    store = new S3ArtifactStore(`s3://${bucket}/artifacts/`);
  });

  afterAll(() => {
    admin?.destroy();
  });

  it('normalizes base URIs and maps keys', () => {
    expect(store.baseUri).toBe(`s3://${bucket}/artifacts/`);
    expect(new S3ArtifactStore(`s3://${bucket}/artifacts`).baseUri).toBe(`s3://${bucket}/artifacts/`);
    expect(new S3ArtifactStore(`s3://${bucket}`).baseUri).toBe(`s3://${bucket}/`);
    expect(store.uriFor('models/m/runs/r1/model.onnx')).toBe(`s3://${bucket}/artifacts/models/m/runs/r1/model.onnx`);
    expect(parseS3Uri('s3://b/a/b/c')).toEqual({ bucket: 'b', key: 'a/b/c' });
    expect(() => parseS3Uri('s3:///x')).toThrow(ArtifactUriError);
  });

  it('puts and gets objects with the sha256 in x-amz-meta-sha256', async () => {
    const body = '{"hello":"s3","n":1}';
    const ref = await store.put('reports/r1.json', body, { contentType: 'application/json' });
    expect(ref).toEqual({ uri: store.uriFor('reports/r1.json'), sha256: sha(body), size: Buffer.byteLength(body) });
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 'artifacts/reports/r1.json' }));
    expect(head.Metadata?.['sha256']).toBe(sha(body));
    expect(head.ContentType).toBe('application/json');

    expect(Buffer.from(await store.get('reports/r1.json')).toString()).toBe(body);
    expect(Buffer.from(await store.get(ref.uri, ref.sha256)).toString()).toBe(body);
    expect(Buffer.from(await readUri(ref.uri)).toString()).toBe(body);
    expect(await store.exists(ref.uri)).toBe(true);

    const bin = new Uint8Array([0, 1, 2, 253, 254, 255]);
    const binRef = await store.put('bin/x.bin', bin);
    expect(await store.get(binRef.uri, binRef.sha256)).toEqual(bin);
  });

  it('detects an object corrupted out of band, and a wrong expected checksum', async () => {
    const ref = await store.put('corrupt/model.onnx', 'the real model');
    // Replace the bytes behind the store's back, keeping the recorded checksum.
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'artifacts/corrupt/model.onnx',
        Body: 'a tampered model',
        Metadata: { sha256: ref.sha256 },
      }),
    );
    const err = await store.get('corrupt/model.onnx').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactChecksumError);
    expect(err).toMatchObject({ uri: ref.uri, expected: ref.sha256, actual: sha('a tampered model') });
    await expect(readUri(ref.uri)).rejects.toBeInstanceOf(ArtifactChecksumError);

    const ok = await store.put('corrupt/fine.txt', 'fine');
    await expect(store.get(ok.uri, sha('other'))).rejects.toBeInstanceOf(ArtifactChecksumError);
  });

  it('maps missing objects to ArtifactNotFoundError; delete is idempotent', async () => {
    await expect(store.get('missing/nothing.bin')).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(readUri(`s3://${bucket}/artifacts/missing/nothing.bin`)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    expect(await store.exists('missing/nothing.bin')).toBe(false);
    const ref = await store.put('del/me.txt', 'x');
    await store.delete(ref.uri);
    await store.delete('del/me.txt');
    expect(await store.exists('del/me.txt')).toBe(false);
    await expect(store.get('del/me.txt')).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it('rejects keys and URIs outside the store', async () => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', '']) {
      await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(ArtifactUriError);
    }
    await expect(store.get(`s3://${bucket}/other-prefix/x`)).rejects.toBeInstanceOf(ArtifactUriError);
    await expect(store.get(`s3://other-bucket/artifacts/x`)).rejects.toBeInstanceOf(ArtifactUriError);
    await expect(store.get('file:///tmp/x')).rejects.toBeInstanceOf(ArtifactUriError);
  });

  it('uploads a ~20 MB object in parts and reads it back verified', async () => {
    const big = randomBytes(20 * 1024 * 1024 + 12345);
    const ref = await store.put('models/big/model.bin', big);
    expect(ref.size).toBe(big.length);
    expect(ref.sha256).toBe(sha(big));
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 'artifacts/models/big/model.bin' }));
    // A multipart ETag is "<md5 of part md5s>-<part count>": 3 parts of 8 MiB.
    expect(head.ETag).toMatch(/-3"?$/);
    expect(head.ContentLength).toBe(big.length);
    expect(head.Metadata?.['sha256']).toBe(ref.sha256);
    const back = await store.get(ref.uri, ref.sha256);
    expect(back.length).toBe(big.length);
    expect(sha(back)).toBe(ref.sha256);
    const raw = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'artifacts/models/big/model.bin' }));
    expect(sha(await raw.Body!.transformToByteArray())).toBe(ref.sha256);
  });

  it('opens by scheme with the endpoint from the environment', async () => {
    const opened = openArtifactStore(`s3://${bucket}/opened/`);
    expect(opened).toBeInstanceOf(S3ArtifactStore);
    const ref = await opened.put('k.txt', 'via env');
    expect(Buffer.from(await readUri(ref.uri, { expectedSha256: sha('via env') })).toString()).toBe('via env');
  });

  it('names the URI, endpoint and cause when the endpoint is unreachable, and stays retryable', async () => {
    const down = new S3ArtifactStore(`s3://${bucket}/artifacts/`, { endpoint: 'http://127.0.0.1:1' });
    const uri = `s3://${bucket}/artifacts/reports/r1.json`;
    const failures = [
      await down.get('reports/r1.json').catch((e: unknown) => e),
      await readUri(uri, { s3: { endpoint: 'http://127.0.0.1:1' } }).catch((e: unknown) => e),
      await down.put('reports/r1.json', 'x').catch((e: unknown) => e),
      await down.exists('reports/r1.json').catch((e: unknown) => e),
    ];
    for (const err of failures) {
      expect(err).toBeInstanceOf(ArtifactStoreUnreachableError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^${uri.replaceAll('.', '\\.')}: cannot reach the S3 endpoint http://127\\.0\\.0\\.1:1: .*ECONNREFUSED`,
        ),
      );
      // Not permanent: the store may come back, so the activity retries.
      const failure = toActivityFailure(err);
      expect(failure instanceof ApplicationFailure && failure.nonRetryable).toBe(false);
    }
    // A missing object on a reachable store stays permanent.
    const missing = await store.get('reports/none.json').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ArtifactNotFoundError);
  });
});
