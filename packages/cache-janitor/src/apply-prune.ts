import { SpacktainersError, sha256Hex, type Warning } from "@spacktainers/core";
import { detectPythonJsonStyle, formatPythonJson, PYTHON_MANIFEST } from "./format-python-json.js";
import { type PlanPruneOptions, type PrunePlan, preparePrune } from "./plan-prune.js";
import {
  type BuildCache,
  blobKey,
  V2_INDEX_HASH_KEY,
  V2_INDEX_KEY,
  V3_INDEX_MANIFEST_KEY,
} from "./read-build-cache.js";
import { removeFromDatabase } from "./spack-database.js";
import {
  type CacheStorage,
  DELETE_BATCH_SIZE,
  type DeleteFailure,
  type StorageProgress,
} from "./storage/cache-storage.js";

export interface ApplyPruneOptions extends PlanPruneOptions {
  /** Delete even when the plan exceeds `maxDeleteFraction`. */
  force?: boolean;
  /** Rewrite the index so it lists no deleted spec (default true). */
  reindex?: boolean;
  /** Delete requests in flight at once (default 4). */
  deleteConcurrency?: number;
  /** Extra attempts for keys a delete request reported as failed (default 3). */
  retries?: number;
  /** First retry delay in ms, doubled each time (default 200). */
  retryDelayMs?: number;
}

/** What happened to the index. */
export type IndexOutcome =
  | { status: "rewritten"; removedSpecs: number; written: string[]; replaced: string[] }
  | { status: "unchanged" }
  | { status: "skipped"; removedSpecs: number; message: string };

/** The outcome of `applyPrune`. `failed` non-empty means partly done (CLI exit 3). */
export type PruneResult = {
  plan: PrunePlan;
  /** Keys deleted, sorted. */
  deleted: string[];
  /** Keys still present after every retry, with the storage's error. */
  failed: DeleteFailure[];
  index: IndexOutcome;
  warnings: Warning[];
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface DeleteKeysOptions {
  storage: CacheStorage;
  keys: readonly string[];
  /**
   * The first `firstCount` keys are deleted before the others start: the batches holding them
   * run (and finish) first. Keys stay in one list, so there are ceil(keys / 1000) requests.
   */
  firstCount?: number;
  concurrency?: number;
  retries?: number;
  retryDelayMs?: number;
  onProgress?: (progress: StorageProgress) => void;
}

/**
 * Deletes keys in batches of 1000 with bounded concurrency, checks the per-key errors every
 * batch returns (DeleteObjects answers 200 even when keys failed — the original ignored them)
 * and retries the failed keys with backoff. Returns the keys that still failed.
 */
export async function deleteKeys(
  options: DeleteKeysOptions,
): Promise<{ deleted: string[]; failed: DeleteFailure[] }> {
  const { storage } = options;
  let pending = [...options.keys];
  let failures: DeleteFailure[] = [];
  let done = 0;
  const total = pending.length;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) await sleep((options.retryDelayMs ?? 200) * 2 ** (attempt - 1));
    const batches: string[][] = [];
    for (let start = 0; start < pending.length; start += DELETE_BATCH_SIZE)
      batches.push(pending.slice(start, start + DELETE_BATCH_SIZE));
    failures = [];
    const firstKeys = new Set(options.keys.slice(0, options.firstCount ?? 0));
    const split = batches.findIndex((batch) => !batch.some((key) => firstKeys.has(key)));
    const phases = split <= 0 ? [batches] : [batches.slice(0, split), batches.slice(split)];
    for (const phase of phases) {
      let next = 0;
      const worker = async () => {
        while (next < phase.length) {
          const batch = phase[next++]!;
          const failed = await storage.deleteBatch(batch);
          failures.push(...failed);
          done += batch.length - failed.length;
          options.onProgress?.({ phase: "delete", done, total });
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, phase.length) }, worker));
    }
    if (attempt >= (options.retries ?? 3)) break;
    const failedKeys = new Set(failures.map((failure) => failure.key));
    pending = pending.filter((key) => failedKeys.has(key));
  }
  const failedKeys = new Set(failures.map((failure) => failure.key));
  return {
    deleted: options.keys.filter((key) => !failedKeys.has(key)).sort(),
    failed: failures.sort((a, b) => (a.key < b.key ? -1 : 1)),
  };
}

/**
 * Plans, then deletes (spec files and manifests first, so no client sees a spec whose tarball is
 * gone), then rewrites the index so it lists no deleted spec. Refuses to delete more than
 * `maxDeleteFraction` of the objects without `force`.
 */
export async function applyPrune(options: ApplyPruneOptions): Promise<PruneResult> {
  const { plan, cache, storage, ownsStorage, protectedHashes } = await preparePrune(options);
  try {
    if (plan.safety.exceeded && !options.force)
      throw new SpacktainersError({
        code: "DELETE_FRACTION_EXCEEDED",
        message: `the plan deletes ${plan.totals.objects} of ${plan.inventory.objects} objects (${(plan.safety.deleteFraction * 100).toFixed(1)}%), more than --max-delete-fraction ${plan.safety.maxDeleteFraction}. Nothing was deleted. Check the plan (run 'plan --report FILE'), then raise --max-delete-fraction or pass --force.`,
      });
    const isSpecKey = (key: string) => /\.spec\.(json|json\.sig|yaml|manifest\.json)$/.test(key);
    const keys = plan.deletions.map((deletion) => deletion.key);
    const specKeys = keys.filter(isSpecKey);
    const { deleted, failed } = await deleteKeys({
      storage,
      keys: [...specKeys, ...keys.filter((key) => !isSpecKey(key))],
      firstCount: specKeys.length,
      concurrency: options.deleteConcurrency,
      retries: options.retries,
      retryDelayMs: options.retryDelayMs,
      onProgress: options.onProgress,
    });
    const deletedSet = new Set(deleted);
    const removed = new Set([
      ...plan.deletedSpecs.filter((hash) =>
        cache.specs.get(hash)!.specKeys.every((key) => deletedSet.has(key)),
      ),
      ...plan.staleIndexEntries,
    ]);
    let index: IndexOutcome;
    if (removed.size === 0) index = { status: "unchanged" };
    else if (options.reindex === false)
      index = {
        status: "skipped",
        removedSpecs: removed.size,
        message: `the index still lists ${removed.size} deleted spec(s): run \`spack buildcache update-index ${plan.location}\`.`,
      };
    else if (cache.index.status !== "ok")
      index = {
        status: "skipped",
        removedSpecs: removed.size,
        message: `the index is ${cache.index.status}, so it was not rewritten: run \`spack buildcache update-index ${plan.location}\`.`,
      };
    else {
      const rewritten = await rewriteIndex(cache, storage, removed, protectedHashes);
      const old = await deleteKeys({
        storage,
        keys: rewritten.replaced,
        retries: options.retries,
        retryDelayMs: options.retryDelayMs,
      });
      deleted.push(...old.deleted);
      failed.push(...old.failed);
      index = { status: "rewritten", removedSpecs: removed.size, ...rewritten };
    }
    return { plan, deleted: deleted.sort(), failed, index, warnings: plan.warnings };
  } finally {
    if (ownsStorage) storage.close?.();
  }
}

/**
 * Writes the index without the removed specs, in Spack's exact format. v2: `index.json` then
 * `index.json.hash` (its sha256), as `spack buildcache update-index` does. v3: the new database
 * blob first, then the index manifest pointing at it; the old blob is returned for deletion.
 */
async function rewriteIndex(
  cache: BuildCache,
  storage: CacheStorage,
  removed: ReadonlySet<string>,
  retained: ReadonlySet<string>,
): Promise<{ written: string[]; replaced: string[] }> {
  const text = cache.index.text!;
  const database = removeFromDatabase(cache.index.database!, removed, retained);
  const next = formatPythonJson(database, detectPythonJsonStyle(text));
  if (cache.layout === "v2") {
    await storage.put(V2_INDEX_KEY, next, "application/json");
    await storage.put(V2_INDEX_HASH_KEY, sha256Hex(next), "text/plain");
    return { written: [V2_INDEX_KEY, V2_INDEX_HASH_KEY], replaced: [] };
  }
  const bytes = new TextEncoder().encode(next);
  const checksum = sha256Hex(bytes);
  const newBlob = blobKey(checksum);
  await storage.put(newBlob, bytes, "application/octet-stream");
  const manifest = formatPythonJson(
    {
      version: 3,
      data: [
        {
          contentLength: bytes.byteLength,
          mediaType: cache.index.mediaType ?? "application/vnd.spack.db.v8+json",
          compression: "none",
          checksumAlgorithm: "sha256",
          checksum,
        },
      ],
    },
    PYTHON_MANIFEST,
  );
  await storage.put(V3_INDEX_MANIFEST_KEY, manifest, "application/json");
  const old = cache.index.blobKey;
  const replaced =
    old &&
    old !== newBlob &&
    [...(cache.blobReferrers.get(old) ?? [])].every((key) => key === V3_INDEX_MANIFEST_KEY)
      ? [old]
      : [];
  return { written: [newBlob, V3_INDEX_MANIFEST_KEY], replaced };
}
