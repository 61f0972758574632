/**
 * Artifact store on a local (or mounted) directory: `file:///abs/dir/`, or `file://./dir` / `file://dir` relative to
 * the working directory. Writes are atomic (temporary file, fsync, rename, fsync of the directory); the sha256 of each
 * object is kept in a sidecar `<key>.sha256` so that `get` verifies the bytes even when the caller has no checksum.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ArtifactRef, ArtifactStore, PutOptions } from './artifact-store.js';
import { ArtifactChecksumError, ArtifactNotFoundError, ArtifactUriError } from './errors.js';
import { SHA256_SUFFIX, sha256Hex, toBytes, validateKey, verifySha256 } from './keys.js';

/**
 * The absolute path a `file:` URI names. `file:///abs/path` (and `file://localhost/abs/path`) are absolute;
 * `file://./dir`, `file://dir` and `file:dir` are taken relative to `cwd` (percent-escapes decoded).
 */
export function fileUriToPath(uri: string, cwd: string = process.cwd()): string {
  if (!uri.startsWith('file:')) throw new ArtifactUriError(`not a file: URI: ${uri}`);
  const rest = uri.slice('file:'.length);
  if (rest.startsWith('///') || rest.startsWith('//localhost/')) {
    try {
      return fileURLToPath(uri);
    } catch (err) {
      throw new ArtifactUriError(`invalid file URI ${uri}: ${(err as Error).message}`);
    }
  }
  const relative = rest.startsWith('//') ? rest.slice(2) : rest;
  if (relative === '' || relative.startsWith('/')) throw new ArtifactUriError(`invalid file URI: ${uri}`);
  try {
    return path.resolve(cwd, decodeURIComponent(relative));
  } catch {
    throw new ArtifactUriError(`invalid file URI: ${uri}`);
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** Writes `bytes` to `file` atomically: a reader sees the old content or the new one, never a partial file. */
async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  // Make the rename itself durable.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some file systems do not support fsync on directories.
  } finally {
    await dh.close();
  }
}

export class FileArtifactStore implements ArtifactStore {
  /** Normalized: `file:///abs/dir/` (absolute, percent-encoded, trailing slash). */
  readonly baseUri: string;
  /** Absolute base directory. */
  readonly baseDir: string;

  constructor(baseUri: string, options: { cwd?: string } = {}) {
    this.baseDir = fileUriToPath(baseUri, options.cwd);
    this.baseUri = `${pathToFileURL(this.baseDir).href.replace(/\/$/, '')}/`;
  }

  uriFor(key: string): string {
    return pathToFileURL(this.pathFor(validateKey(key))).href;
  }

  async put(key: string, body: Uint8Array | string, _options?: PutOptions): Promise<ArtifactRef> {
    const file = this.pathFor(validateKey(key));
    const bytes = toBytes(body);
    const sha256 = sha256Hex(bytes);
    // Data first, then its checksum; `get` re-reads once to ride out a concurrent overwrite between the two.
    await writeAtomic(file, bytes);
    await writeAtomic(file + SHA256_SUFFIX, Buffer.from(`${sha256}\n`, 'utf8'));
    return { uri: pathToFileURL(file).href, sha256, size: bytes.byteLength };
  }

  async get(keyOrUri: string, expectedSha256?: string): Promise<Uint8Array> {
    const file = this.resolve(keyOrUri);
    const uri = pathToFileURL(file).href;
    for (let attempt = 1; ; attempt++) {
      const bytes = await this.read(file, uri);
      const actual = sha256Hex(bytes);
      try {
        if (expectedSha256 !== undefined) verifySha256(uri, expectedSha256, actual);
        // No sidecar (written by hand, or a crash between the two renames): nothing more to check against.
        const recorded = await this.readSidecar(file);
        if (recorded !== null) verifySha256(uri, recorded, actual);
        return bytes;
      } catch (err) {
        if (!(err instanceof ArtifactChecksumError) || attempt >= 2) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  async exists(keyOrUri: string): Promise<boolean> {
    try {
      return (await stat(this.resolve(keyOrUri))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async delete(keyOrUri: string): Promise<void> {
    const file = this.resolve(keyOrUri);
    await rm(file, { force: true });
    await rm(file + SHA256_SUFFIX, { force: true });
  }

  /** The key of a URI of this store, or the key itself (validated). */
  keyOf(keyOrUri: string): string {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(keyOrUri)) return validateKey(keyOrUri);
    if (!keyOrUri.startsWith('file:')) throw new ArtifactUriError(`${keyOrUri} is not in the store ${this.baseUri}`);
    const file = fileUriToPath(keyOrUri);
    const rel = path.relative(this.baseDir, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new ArtifactUriError(`${keyOrUri} is not in the store ${this.baseUri}`);
    }
    return validateKey(rel.split(path.sep).join('/'));
  }

  private resolve(keyOrUri: string): string {
    return this.pathFor(this.keyOf(keyOrUri));
  }

  private pathFor(key: string): string {
    return path.join(this.baseDir, ...key.split('/'));
  }

  private async read(file: string, uri: string): Promise<Uint8Array> {
    try {
      const buf = await readFile(file);
      // A plain Uint8Array view (no Buffer subclass), like the S3 store returns.
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (isMissing(err)) throw new ArtifactNotFoundError(uri);
      throw err;
    }
  }

  private async readSidecar(file: string): Promise<string | null> {
    try {
      // A damaged sidecar does not match any digest, so it reads as corruption rather than as "no checksum".
      return (await readFile(file + SHA256_SUFFIX, 'utf8')).trim().toLowerCase();
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }
}
