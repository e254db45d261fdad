/** One object of a build cache, as a listing returns it (no per-object HEAD is ever needed). */
export type CacheObject = {
  /** Key relative to the cache root, with `/` separators (e.g. `build_cache/index.json`). */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification time, in milliseconds since the epoch. */
  lastModified: number;
};

/** A key that could not be deleted, with the storage's own error code and message. */
export type DeleteFailure = {
  key: string;
  /** Error code from the storage (S3 `Errors[].Code`, or a Node error code). */
  code: string;
  message: string;
};

/** Progress of a long storage operation (listing pages, deleting batches). */
export type StorageProgress = {
  /** Listing, reading manifests, confirming absences one object at a time, deleting. */
  phase: "list" | "read" | "confirm" | "delete";
  /** Items done so far. */
  done: number;
  /** Items expected in total, when known. */
  total?: number;
};

/**
 * Where a build cache lives. Keys are relative to the cache root. Implementations: a local
 * folder (`file://`), S3 (AWS SDK v3) and an in-memory map (tests and benchmarks).
 */
export interface CacheStorage {
  /** Where the cache is, for messages (e.g. `s3://bucket/prefix`); never holds credentials. */
  readonly location: string;
  /**
   * Every object under the root, in one paginated listing, sorted by key. A listing is only a
   * claim: stores have bugs, eventually consistent listings and proxies that lose pages, so
   * nothing is deleted on its word alone.
   */
  list(onProgress?: (progress: StorageProgress) => void): Promise<CacheObject[]>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /**
   * Whether the object exists, asked of the object itself (S3 HeadObject), not of a listing: the
   * janitor confirms an absence this way before it deletes because something is absent.
   */
  head(key: string): Promise<CacheObject | undefined>;
  /** Writes an object (atomically where the storage allows it). */
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /**
   * Creates an object only when the key does not exist yet (S3 `If-None-Match: *`, an exclusive
   * create in a folder). Returns false when the key exists, or another conditional write to it
   * is in flight. Throws a `CONDITIONAL_WRITE_UNSUPPORTED` error when the store refuses the
   * condition; a store that silently ignores it is detected by the caller (see `acquireCacheLock`).
   */
  create(key: string, body: Uint8Array | string, contentType?: string): Promise<boolean>;
  /**
   * Deletes up to 1000 keys in one request and returns the keys that failed. Keys that do not
   * exist count as deleted (S3 semantics).
   */
  deleteBatch(keys: readonly string[]): Promise<DeleteFailure[]>;
  /** Releases connections. */
  close?(): void;
}

/** S3 and DeleteObjects allow at most 1000 keys per request. */
export const DELETE_BATCH_SIZE = 1000;

/** Byte order comparison of keys (S3 lists keys in UTF-8 binary order). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
