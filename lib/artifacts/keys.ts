/** Key rules and checksum helpers shared by the artifact stores. */
import { createHash } from 'node:crypto';
import { ArtifactChecksumError, ArtifactUriError } from './errors.js';

/** Suffix of the file store's checksum sidecars; keys may not end with it. */
export const SHA256_SUFFIX = '.sha256';

/**
 * Checks a key: a relative POSIX path of non-empty segments, none of them `.` or `..` (no escaping the base), no
 * backslashes or NUL, not ending in `/` or `.sha256`. Returns it unchanged.
 */
export function validateKey(key: string): string {
  const problem =
    key === ''
      ? 'empty'
      : key.startsWith('/')
        ? 'absolute'
        : key.endsWith('/')
          ? 'ends with "/"'
          : /[\\\0]/.test(key)
            ? 'contains a backslash or NUL'
            : key.split('/').some((s) => s === '' || s === '.' || s === '..')
              ? 'has an empty, "." or ".." segment'
              : key.endsWith(SHA256_SUFFIX)
                ? `ends with "${SHA256_SUFFIX}" (reserved for checksums)`
                : null;
  if (problem) throw new ArtifactUriError(`invalid artifact key ${JSON.stringify(key)}: ${problem}`);
  return key;
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws ArtifactChecksumError unless `actual` equals `expected` (hex, case-insensitive). */
export function verifySha256(uri: string, expected: string, actual: string): void {
  if (expected.toLowerCase() !== actual) throw new ArtifactChecksumError(uri, expected.toLowerCase(), actual);
}
