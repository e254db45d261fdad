import { type CacheObject, type CacheStorage, compareKeys, type DeleteFailure } from "./cache-storage.js";

/** An object held by the in-memory storage. */
export type MemoryObject = { body: Uint8Array; lastModified: number };

export interface MemoryStorageOptions {
  /** Initial objects by key. */
  objects?: Map<string, MemoryObject>;
  /** Clock used for `put` (default: `Date.now`). */
  clock?: () => number;
  /** Fault injection: return a failure for this key instead of deleting it. */
  failDelete?: (key: string, attempt: number) => DeleteFailure | undefined;
  /** Behave like a store that ignores conditional writes (`create` overwrites). */
  ignoreConditionalWrites?: boolean;
}

/** An in-memory cache: the fastest backend, for tests and benchmarks. */
export type MemoryStorage = CacheStorage & {
  /** The live object map. */
  readonly objects: Map<string, MemoryObject>;
  /** Calls made, by operation (like S3 requests). */
  readonly requests: Record<string, number>;
};

/** Creates an in-memory storage. */
export function createMemoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const objects = options.objects ?? new Map<string, MemoryObject>();
  const clock = options.clock ?? Date.now;
  const requests: Record<string, number> = {};
  const attempts = new Map<string, number>();
  const count = (operation: string) => {
    requests[operation] = (requests[operation] ?? 0) + 1;
  };
  const write = (key: string, body: Uint8Array | string) =>
    objects.set(key, {
      body: typeof body === "string" ? new TextEncoder().encode(body) : body,
      lastModified: clock(),
    });
  return {
    location: "memory:",
    objects,
    requests,
    async list(onProgress) {
      count("List");
      const listed: CacheObject[] = [...objects]
        .map(([key, object]) => ({ key, size: object.body.byteLength, lastModified: object.lastModified }))
        .sort((a, b) => compareKeys(a.key, b.key));
      onProgress?.({ phase: "list", done: listed.length });
      return listed;
    },
    async get(key) {
      count("Get");
      return objects.get(key)?.body;
    },
    async head(key) {
      count("Head");
      const object = objects.get(key);
      return object && { key, size: object.body.byteLength, lastModified: object.lastModified };
    },
    async put(key, body) {
      count("Put");
      write(key, body);
    },
    async create(key, body) {
      count("Put");
      if (objects.has(key) && !options.ignoreConditionalWrites) return false;
      write(key, body);
      return true;
    },
    async deleteBatch(keys) {
      count("Delete");
      const failures: DeleteFailure[] = [];
      for (const key of keys) {
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        const failure = options.failDelete?.(key, attempt);
        if (failure) failures.push(failure);
        else objects.delete(key);
      }
      return failures;
    },
  };
}
