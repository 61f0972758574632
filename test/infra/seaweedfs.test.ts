import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { s3ClientConfig } from '../../infra/seaweedfs.js';

describe('shared SeaweedFS S3 (global setup)', () => {
  const server = {
    endpoint: inject('s3Endpoint'),
    accessKeyId: inject('s3AccessKeyId'),
    secretAccessKey: inject('s3SecretAccessKey'),
    region: inject('s3Region'),
  };
  const bucket = `infra-test-${randomBytes(4).toString('hex')}`;
  let s3: S3Client;
  beforeAll(async () => {
    s3 = new S3Client(s3ClientConfig(server));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3?.destroy());

  it('round-trips a small object', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt', Body: 'hello, s3', ContentType: 'text/plain' }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello, s3');
    expect(got.ContentType).toBe('text/plain');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['dir/hello.txt']);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }));
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dir/hello.txt' }))).rejects.toThrow();
  });

  it('does a ~12 MB multipart upload with lib-storage Upload, byte-exact', async () => {
    const body = randomBytes(12 * 1024 * 1024 + 12345);
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: 'model/weights.bin', Body: body },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    const result = await upload.done();
    expect(result.ETag).toMatch(/-3"?$/); // 3 parts: 5 + 5 + ~2 MB
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'model/weights.bin' }));
    expect(head.ContentLength).toBe(body.length);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'model/weights.bin' }));
    const bytes = await got.Body?.transformToByteArray();
    expect(bytes && Buffer.from(bytes).equals(body)).toBe(true);
  });

  it('rejects wrong credentials', async () => {
    const bad = new S3Client({
      ...s3ClientConfig(server),
      credentials: { accessKeyId: 'nope', secretAccessKey: 'nope' },
    });
    try {
      await expect(bad.send(new ListObjectsV2Command({ Bucket: bucket }))).rejects.toThrow();
    } finally {
      bad.destroy();
    }
  });
});
