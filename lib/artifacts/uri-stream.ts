/** Streaming reads of `file://` and `s3://` objects, hashed (and verified) as they are read. */
import { createHash } from 'node:crypto';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ArtifactNotFoundError } from './errors.js';
import { SHA256_SUFFIX, verifySha256 } from './keys.js';
import { isS3NotFound, SHA256_METADATA_KEY, type S3Location } from './s3-store.js';

/** Size of the chunks read from files (S3 bodies arrive in whatever chunks the connection gives). */
export const FILE_CHUNK_BYTES = 4 << 20;

/**
 * The bytes of one object as an async iterable of chunks, to be iterated once. The sha256 is computed while the
 * chunks go by; once the last chunk has been read it is checked against the expected and recorded checksums (the
 * final step of the iteration throws ArtifactChecksumError on a mismatch), then {@link sha256} gives it.
 */
export interface UriStream extends AsyncIterable<Uint8Array> {
  /** The object's URI (as used in errors). */
  readonly uri: string;
  /** Size in bytes when known (file size, S3 Content-Length). */
  readonly size: number | undefined;
  /** Hex sha256 of all the bytes; throws unless the stream was read to the end (and verified). */
  sha256(): string;
  /** Releases the file or connection when the stream is not read to the end (iteration releases it itself). */
  close(): Promise<void>;
}

/** What a {@link UriStream} is built from. */
interface StreamSource {
  uri: string;
  size: number | undefined;
  chunks: AsyncIterable<Uint8Array>;
  /** Checksums the bytes must match (hex; undefined entries are skipped), checked in order. */
  expected: Array<string | undefined>;
  close(): Promise<void>;
}

class HashedStream implements UriStream {
  readonly uri: string;
  readonly size: number | undefined;
  private started = false;
  private digest: string | null = null;

  constructor(private readonly source: StreamSource) {
    this.uri = source.uri;
    this.size = source.size;
  }

  sha256(): string {
    if (this.digest === null) throw new Error(`${this.uri} has not been read to the end: no sha256 yet`);
    return this.digest;
  }

  async close(): Promise<void> {
    this.started = true;
    await this.source.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.started) throw new Error(`${this.uri}: a stream can be read only once`);
    this.started = true;
    const hash = createHash('sha256');
    try {
      for await (const chunk of this.source.chunks) {
        hash.update(chunk);
        yield chunk;
      }
    } finally {
      await this.source.close();
    }
    const actual = hash.digest('hex');
    for (const expected of this.source.expected) if (expected !== undefined) verifySha256(this.uri, expected, actual);
    this.digest = actual;
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/**
 * Opens a local file for streaming (chunks of {@link FILE_CHUNK_BYTES}). A missing file or a directory throws
 * ArtifactNotFoundError now; a `.sha256` sidecar (written by a FileArtifactStore) is checked at the end.
 */
export async function openFileStream(file: string, expectedSha256?: string): Promise<UriStream> {
  const uri = pathToFileURL(file).href;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if (isMissing(err)) throw new ArtifactNotFoundError(uri);
    throw err;
  }
  let size: number;
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new ArtifactNotFoundError(uri);
    size = stat.size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  const recorded = await readFile(file + SHA256_SUFFIX, 'utf8').catch(() => null);
  const stream = handle.createReadStream({ highWaterMark: FILE_CHUNK_BYTES });
  return new HashedStream({
    uri,
    size,
    chunks: stream,
    expected: [expectedSha256, recorded?.trim()],
    close: async () => {
      stream.destroy();
      await handle.close().catch(() => undefined); // already closed by the stream
    },
  });
}

/**
 * Opens an S3 object for streaming (one GetObject; the body is read as it arrives). NoSuchKey (and 404) throw
 * ArtifactNotFoundError now; an unreachable endpoint ArtifactStoreUnreachableError (from the shared client's
 * middleware); other client errors (credentials) propagate as the SDK throws them.
 * The `sha256` metadata written by an S3ArtifactStore is checked at the end.
 */
export async function openS3Stream(client: S3Client, loc: S3Location, expectedSha256?: string): Promise<UriStream> {
  const uri = `s3://${loc.bucket}/${loc.key}`;
  let res;
  try {
    res = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  } catch (err) {
    if (isS3NotFound(err)) throw new ArtifactNotFoundError(uri);
    throw err;
  }
  const body = res.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (!body) throw new ArtifactNotFoundError(uri);
  return new HashedStream({
    uri,
    size: res.ContentLength,
    chunks: body,
    expected: [expectedSha256, res.Metadata?.[SHA256_METADATA_KEY]],
    close: async () => {
      body.destroy?.();
    },
  });
}
