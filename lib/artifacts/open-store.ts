/** Opens the artifact store a URI names, and reads any `file://` or `s3://` object (datasets live outside the store). */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { ArtifactStore } from './artifact-store.js';
import { ArtifactNotFoundError, ArtifactUriError } from './errors.js';
import { FileArtifactStore, fileUriToPath } from './file-store.js';
import { SHA256_SUFFIX, sha256Hex, verifySha256 } from './keys.js';
import { getS3Object, parseS3Uri, S3ArtifactStore, sharedS3Client, type S3StoreOptions } from './s3-store.js';
import { openFileStream, openS3Stream, type UriStream } from './uri-stream.js';

export type { UriStream } from './uri-stream.js';

export interface OpenStoreOptions {
  /** Settings of S3 stores (endpoint, path style, region; credentials always come from the AWS default chain). */
  s3?: S3StoreOptions;
  /** Directory that relative `file://` URIs are resolved against (default: the process's working directory). */
  cwd?: string;
}

/**
 * The store for `baseUri`: `file:///abs/dir/`, `file://./dir` (relative to the cwd) or `s3://bucket/prefix/`.
 * Synchronous: nothing is contacted until the first operation.
 */
export function openArtifactStore(baseUri: string, options: OpenStoreOptions = {}): ArtifactStore {
  if (baseUri.startsWith('file:')) return new FileArtifactStore(baseUri, options.cwd ? { cwd: options.cwd } : {});
  if (baseUri.startsWith('s3://')) return new S3ArtifactStore(baseUri, options.s3 ?? {});
  throw new ArtifactUriError(`unsupported artifact store URI (expected file:// or s3://): ${baseUri}`);
}

export interface ReadUriOptions extends OpenStoreOptions {
  /** Verify the bytes (ArtifactChecksumError on mismatch). */
  expectedSha256?: string;
}

/**
 * Reads the object at a `file://` or `s3://` URI. Objects written by an artifact store are also checked against their
 * recorded sha256 (S3 metadata, `.sha256` sidecar); missing objects throw ArtifactNotFoundError.
 */
export async function readUri(uri: string, options: ReadUriOptions = {}): Promise<Uint8Array> {
  if (uri.startsWith('s3://')) {
    const loc = parseS3Uri(uri);
    if (loc.key === '' || loc.key.endsWith('/')) throw new ArtifactUriError(`not an object URI: ${uri}`);
    return getS3Object(sharedS3Client(options.s3), loc, options.expectedSha256);
  }
  if (uri.startsWith('file:')) {
    const file = fileUriToPath(uri, options.cwd);
    let bytes: Uint8Array;
    try {
      const buf = await readFile(file);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new ArtifactNotFoundError(pathToFileURL(file).href);
      }
      throw err;
    }
    const actual = sha256Hex(bytes);
    if (options.expectedSha256 !== undefined) verifySha256(pathToFileURL(file).href, options.expectedSha256, actual);
    // Written by a FileArtifactStore: check its recorded checksum too.
    const recorded = await readFile(file + SHA256_SUFFIX, 'utf8').catch(() => null);
    if (recorded !== null) verifySha256(pathToFileURL(file).href, recorded.trim(), actual);
    return bytes;
  }
  throw new ArtifactUriError(`unsupported URI (expected file:// or s3://): ${uri}`);
}

/**
 * Opens the object at a `file://` or `s3://` URI for reading in chunks (files in 4 MiB chunks, S3 bodies as they
 * arrive), so that memory does not grow with the object. Fails like {@link readUri} when opening: missing objects
 * throw ArtifactNotFoundError naming the URI, unsupported URIs ArtifactUriError, an unreachable S3 endpoint
 * ArtifactStoreUnreachableError naming the URI and endpoint (retryable), other S3 client errors as the SDK throws them. The sha256 is computed while streaming; after the last chunk it is verified against
 * `expectedSha256` and the recorded checksum (S3 metadata, `.sha256` sidecar), so the end of the iteration may throw
 * ArtifactChecksumError, and `stream.sha256()` gives it. Read the stream to the end or call `close()`.
 */
export async function openUriStream(uri: string, options: ReadUriOptions = {}): Promise<UriStream> {
  if (uri.startsWith('s3://')) {
    const loc = parseS3Uri(uri);
    if (loc.key === '' || loc.key.endsWith('/')) throw new ArtifactUriError(`not an object URI: ${uri}`);
    return openS3Stream(sharedS3Client(options.s3), loc, options.expectedSha256);
  }
  if (uri.startsWith('file:')) return openFileStream(fileUriToPath(uri, options.cwd), options.expectedSha256);
  throw new ArtifactUriError(`unsupported URI (expected file:// or s3://): ${uri}`);
}
