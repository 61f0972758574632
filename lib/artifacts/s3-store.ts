/**
 * Artifact store on S3 or an S3-compatible server: `s3://bucket/prefix/`. Credentials come from the default AWS
 * provider chain (environment, shared config/credentials files, SSO, container/instance roles) — never from workflow
 * payloads or this module's options. The endpoint comes from the `endpoint` option, else `AWS_ENDPOINT_URL_S3`, else
 * `AWS_ENDPOINT_URL`, else AWS. Objects over 8 MiB go up as multipart uploads. The sha256 of each object is stored as
 * user metadata (`x-amz-meta-sha256`) and checked on every read.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ArtifactRef, ArtifactStore, PutOptions } from './artifact-store.js';
import { ArtifactNotFoundError, ArtifactStoreUnreachableError, ArtifactUriError } from './errors.js';
import { sha256Hex, toBytes, validateKey, verifySha256 } from './keys.js';
import { isNetworkError } from '../network-errors.js';

export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** User-metadata key of the checksum (sent as the `x-amz-meta-sha256` header). */
export const SHA256_METADATA_KEY = 'sha256';

export interface S3StoreOptions {
  /** A ready client (its configuration wins over the options below). */
  client?: S3Client;
  /** Endpoint of an S3-compatible server; default `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then AWS. */
  endpoint?: string;
  /** Path-style addressing (`http://host/bucket/key`); default true when a custom endpoint is set, else false. */
  forcePathStyle?: boolean;
  /** Region; default `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the shared config, then `us-east-1`. */
  region?: string;
  /** Objects larger than this are uploaded in parts (default 8 MiB; S3's minimum part size is 5 MiB). */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads (default 8 MiB). */
  partSizeBytes?: number;
}

/** A parsed `s3://bucket/key-or-prefix` URI. */
export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m?.[1]) throw new ArtifactUriError(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], key: m[2] ?? '' };
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** S3 client settings from the options and the environment; credentials are left to the default chain. */
export function s3ClientConfigFrom(options: S3StoreOptions = {}): S3ClientConfig {
  const endpoint = options.endpoint ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL');
  const region = options.region ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION');
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    // Without a region anywhere the SDK refuses to sign; S3-compatible servers accept any.
    region: region ?? (async () => 'us-east-1'),
    // Only send/verify the SDK's own CRC checksums where S3 requires them: S3-compatible servers vary in support,
    // and we verify our own sha256 end to end anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

const clients = new Map<string, S3Client>();
const wrapped = new WeakSet<S3Client>();

/**
 * Makes every request of `client` that cannot reach the endpoint fail with an {@link ArtifactStoreUnreachableError}
 * naming the object's s3:// URI, the endpoint and the cause (after the SDK's own retries), whoever sends it (the
 * store, `readUri`, `openUriStream`). Idempotent; returns the client.
 */
export function reportUnreachable(client: S3Client): S3Client {
  if (wrapped.has(client)) return client;
  wrapped.add(client);
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        if (!isS3Unreachable(err)) throw err;
        const input = args.input as { Bucket?: string; Key?: string };
        const uri = `s3://${input.Bucket ?? ''}${input.Key !== undefined ? `/${input.Key}` : ''}`;
        throw new ArtifactStoreUnreachableError(uri, await s3EndpointOf(client), err);
      }
    },
    { step: 'initialize', name: 'mlopsReportUnreachable' },
  );
  return client;
}

/** One shared client per configuration (clients hold connection pools). */
export function sharedS3Client(options: S3StoreOptions = {}): S3Client {
  if (options.client) return reportUnreachable(options.client);
  const config = s3ClientConfigFrom(options);
  const id = JSON.stringify([
    config.endpoint,
    config.forcePathStyle,
    typeof config.region === 'string' ? config.region : '',
  ]);
  let client = clients.get(id);
  if (!client) {
    client = reportUnreachable(new S3Client(config));
    clients.set(id, client);
  }
  return client;
}

export function isS3NotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | null;
  return (
    e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404
  );
}

/** Whether an S3 client error happened before any HTTP response (connection refused, DNS, socket timeout). */
export function isS3Unreachable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $response?: unknown } | null;
  if (!(err instanceof Error) || e?.$metadata?.httpStatusCode !== undefined || e?.$response !== undefined) return false;
  return isNetworkError(err) || err.name === 'TimeoutError';
}

/** The endpoint a client sends to, for messages: its configured URL, else AWS's default. */
export async function s3EndpointOf(client: S3Client): Promise<string> {
  try {
    const endpoint = client.config.endpoint ? await client.config.endpoint() : undefined;
    if (endpoint) {
      const path = endpoint.path && endpoint.path !== '/' ? endpoint.path : '';
      return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${path}`;
    }
  } catch {
    // Fall through: the message still names the URI and the cause.
  }
  return 'of AWS (default)';
}

/**
 * Reads an object; verifies it against the `sha256` metadata when present and against `expectedSha256` when given.
 * NoSuchKey (and 404) become ArtifactNotFoundError; an unreachable endpoint an ArtifactStoreUnreachableError (with a
 * client from {@link sharedS3Client}).
 */
export async function getS3Object(client: S3Client, loc: S3Location, expectedSha256?: string): Promise<Uint8Array> {
  const uri = `s3://${loc.bucket}/${loc.key}`;
  let bytes: Uint8Array;
  let recorded: string | undefined;
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    if (!res.Body) throw new ArtifactNotFoundError(uri);
    bytes = await res.Body.transformToByteArray();
    recorded = res.Metadata?.[SHA256_METADATA_KEY];
  } catch (err) {
    if (isS3NotFound(err)) throw new ArtifactNotFoundError(uri);
    throw err;
  }
  const actual = sha256Hex(bytes);
  if (expectedSha256 !== undefined) verifySha256(uri, expectedSha256, actual);
  if (recorded !== undefined) verifySha256(uri, recorded, actual);
  return bytes;
}

export class S3ArtifactStore implements ArtifactStore {
  /** Normalized: `s3://bucket/prefix/` (or `s3://bucket/` without a prefix). */
  readonly baseUri: string;
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`. */
  readonly prefix: string;
  readonly client: S3Client;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(baseUri: string, options: S3StoreOptions = {}) {
    const { bucket, key } = parseS3Uri(baseUri);
    const prefix = key.replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((s) => s === '.' || s === '..'))
      throw new ArtifactUriError(`invalid S3 prefix: ${baseUri}`);
    this.bucket = bucket;
    this.prefix = prefix === '' ? '' : `${prefix}/`;
    this.baseUri = `s3://${bucket}/${this.prefix}`;
    this.client = sharedS3Client(options);
    this.multipartThreshold = options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES;
    this.partSize = options.partSizeBytes ?? MULTIPART_THRESHOLD_BYTES;
  }

  uriFor(key: string): string {
    return `${this.baseUri}${validateKey(key)}`;
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ArtifactRef> {
    const objectKey = this.prefix + validateKey(key);
    const bytes = toBytes(body);
    const sha256 = sha256Hex(bytes);
    const params = {
      Bucket: this.bucket,
      Key: objectKey,
      Body: bytes,
      Metadata: { [SHA256_METADATA_KEY]: sha256 },
      ...(options?.contentType ? { ContentType: options.contentType } : {}),
    };
    if (bytes.byteLength > this.multipartThreshold) {
      // Parts become visible only when CompleteMultipartUpload succeeds: readers never see a partial object.
      await new Upload({ client: this.client, params, partSize: this.partSize, queueSize: 4 }).done();
    } else {
      await this.client.send(new PutObjectCommand({ ...params, ContentLength: bytes.byteLength }));
    }
    return { uri: `s3://${this.bucket}/${objectKey}`, sha256, size: bytes.byteLength };
  }

  async get(keyOrUri: string, expectedSha256?: string): Promise<Uint8Array> {
    return getS3Object(this.client, { bucket: this.bucket, key: this.objectKey(keyOrUri) }, expectedSha256);
  }

  async exists(keyOrUri: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(keyOrUri) }));
      return true;
    } catch (err) {
      if (isS3NotFound(err)) return false;
      throw err;
    }
  }

  async delete(keyOrUri: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(keyOrUri) }));
  }

  /** The store key of a URI of this store, or the key itself (validated). */
  keyOf(keyOrUri: string): string {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(keyOrUri)) return validateKey(keyOrUri);
    if (!keyOrUri.startsWith(this.baseUri))
      throw new ArtifactUriError(`${keyOrUri} is not in the store ${this.baseUri}`);
    return validateKey(keyOrUri.slice(this.baseUri.length));
  }

  private objectKey(keyOrUri: string): string {
    return this.prefix + this.keyOf(keyOrUri);
  }
}
