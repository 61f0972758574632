/** What a stored artifact is: where it lives, how big it is, and its checksum. JSON-shaped. */
export interface ArtifactRef {
  /** Full URI: `file:///abs/path/key` or `s3://bucket/prefix/key`. */
  uri: string;
  /** Hex sha256 of the bytes. */
  sha256: string;
  size: number;
}

/** Options for {@link ArtifactStore.put}. */
export interface PutOptions {
  contentType?: string;
}

/**
 * Content store for datasets snapshots, models, profiles and reports.
 * Keys are relative POSIX paths such as `models/churn/runs/<runId>/model.onnx`.
 * Writes are atomic: a reader never sees a partially written object.
 */
export interface ArtifactStore {
  /** Base URI of the store, e.g. `file:///data/artifacts/` or `s3://bucket/prefix/`. */
  readonly baseUri: string;
  /** The URI a key maps to. */
  uriFor(key: string): string;
  /** Stores bytes under a key (overwriting) and returns its reference with the sha256 of the bytes. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ArtifactRef>;
  /**
   * Reads an artifact by key or full URI (of this store). When `expectedSha256` is given the bytes are verified
   * and a {@link ArtifactChecksumError} is thrown on mismatch. Missing objects throw {@link ArtifactNotFoundError}.
   */
  get(keyOrUri: string, expectedSha256?: string): Promise<Uint8Array>;
  /** Whether the object exists. */
  exists(keyOrUri: string): Promise<boolean>;
  /** Deletes an object; deleting a missing object is not an error. */
  delete(keyOrUri: string): Promise<void>;
}
