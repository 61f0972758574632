/** The artifact does not exist (permanent: retrying will not make it appear). */
export class ArtifactNotFoundError extends Error {
  override readonly name = 'ArtifactNotFoundError';
  constructor(readonly uri: string) {
    super(`artifact not found: ${uri}`);
  }
}

/** The artifact's bytes do not match the recorded checksum (corrupt or tampered). */
export class ArtifactChecksumError extends Error {
  override readonly name = 'ArtifactChecksumError';
  constructor(
    readonly uri: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`artifact ${uri} is corrupt: sha256 ${actual} does not match the recorded ${expected}`);
  }
}

/** A URI this store cannot serve (wrong scheme, bucket or prefix). */
export class ArtifactUriError extends Error {
  override readonly name = 'ArtifactUriError';
}

/**
 * The store could not be reached (connection refused, DNS, timeout): the message names the artifact URI, the
 * endpoint and the cause. Not permanent: the store may come back, so activities retry it.
 */
export class ArtifactStoreUnreachableError extends Error {
  override readonly name = 'ArtifactStoreUnreachableError';
  constructor(
    readonly uri: string,
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(
      `${uri}: cannot reach the S3 endpoint ${endpoint}: ${cause instanceof Error ? cause.message || cause.name : String(cause)}`,
      { cause },
    );
  }
}
