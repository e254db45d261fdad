import { setTimeout as sleep } from "node:timers/promises";
import { SpacktainersError, sha256Hex, type Warning } from "@spacktainers/core";
import { acquireCacheLock, type CacheLock, type CacheLockRecord } from "./cache-lock.js";
import { detectPythonJsonStyle, formatPythonJson, PYTHON_MANIFEST } from "./format-python-json.js";
import { PENDING_KEY, writePendingDeletions } from "./pending-deletions.js";
import {
  checkPruneOptionRanges,
  openCacheStorage,
  type PlanPruneOptions,
  type PrunePlan,
  preparePrune,
} from "./plan-prune.js";
import {
  type BuildCache,
  blobKey,
  V2_INDEX_HASH_KEY,
  V2_INDEX_KEY,
  V3_INDEX_MANIFEST_KEY,
} from "./read-build-cache.js";
import { type RewriteDatabaseOptions, rewriteDatabase } from "./spack-database.js";
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
  /** Take over another run's lock once it has expired (a live lock is never broken). */
  breakLock?: boolean;
  /** How long this run's lock holds before another run may break it (default 180 minutes). */
  lockTtlMinutes?: number;
  /** Wall clock of the lock (default `Date.now`); `now` may be set in the past for the rules. */
  lockClock?: () => number;
}

/** What happened to the index. */
export type IndexOutcome =
  | {
      status: "rewritten";
      /** Specs no longer listed (deleted, or confirmed gone before the run). */
      removedSpecs: number;
      /** Specs listed again (their objects are all there; an interrupted run had unpublished them). */
      republishedSpecs: number;
      /** Keys written, in order (the last index written is the one in place). */
      written: string[];
      /** Index objects replaced and deleted (v3: the old index blobs). */
      replaced: string[];
    }
  | { status: "hash-repaired"; written: string[] }
  | { status: "unchanged" }
  | { status: "skipped"; removedSpecs: number; message: string };

/** The outcome of `applyPrune`. `failed` non-empty means partly done (CLI exit 3). */
export type PruneResult = {
  plan: PrunePlan;
  /** Keys deleted, sorted. */
  deleted: string[];
  /**
   * Keys not deleted, with the storage's error: those that failed after every retry, and the
   * tarballs and blobs kept because their spec's spec file or manifest could not be deleted.
   */
  failed: DeleteFailure[];
  index: IndexOutcome;
  /** The lock this run held while it changed the cache. */
  lock: CacheLockRecord;
  warnings: Warning[];
};

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
 * Takes the cache's lock, plans (confirming every absence with the store), then changes the
 * cache in an order that an interruption at any point leaves safe:
 *
 * 1. the index is written without the specs about to go (their records stay, marked
 *    `in_buildcache: false`, so a later run still knows their dependencies): from here on no
 *    client is offered a spec whose objects may vanish;
 * 2. spec files (v2) and manifests (v3) are deleted;
 * 3. tarballs and blobs are deleted, except those of specs whose spec file or manifest could
 *    not be deleted (those specs stay whole, and listed);
 * 4. the index is written as Spack would: no record of a deleted spec that nothing needs.
 *
 * A stale `index.json.hash` is repaired even when nothing is deleted. Refused: a listing that
 * looks incomplete, a plan beyond `maxDeleteFraction` without `force`, a cache another run holds.
 */
export async function applyPrune(options: ApplyPruneOptions): Promise<PruneResult> {
  // Before the lock is taken: a bad option must not leave a lock behind.
  checkPruneOptionRanges(options);
  const { storage, ownsStorage } = openCacheStorage(options);
  let lock: CacheLock | undefined;
  try {
    lock = await acquireCacheLock({
      storage,
      clock: options.lockClock,
      ttlMinutes: options.lockTtlMinutes,
      breakLock: options.breakLock,
      env: options.env,
    });
    const { plan, cache, protectedHashes } = await preparePrune(options, storage, lock.record);
    plan.warnings.push(...lock.warnings);
    if (plan.listing.status === "incomplete")
      throw new SpacktainersError({ code: "LISTING_INCOMPLETE", message: plan.listing.message! });
    if (plan.safety.exceeded && !options.force)
      throw new SpacktainersError({
        code: "DELETE_FRACTION_EXCEEDED",
        message: `the plan deletes ${plan.totals.objects} of ${plan.inventory.objects} objects (${(plan.safety.deleteFraction * 100).toFixed(1)}%), more than --max-delete-fraction ${plan.safety.maxDeleteFraction}. Nothing was deleted. Check the plan (run 'plan --report FILE'), then raise --max-delete-fraction or pass --force.`,
      });
    const retry = { retries: options.retries, retryDelayMs: options.retryDelayMs };
    const index = new IndexWriter(cache, storage, lock, protectedHashes, plan, options.reindex !== false);

    // 0. The journal: what this run deletes, for a run that must finish it.
    if (plan.deletedSpecs.length > 0) {
      await lock.check();
      await writePendingDeletions(storage, {
        owner: lock.record.owner,
        started: lock.record.started,
        specs: plan.deletedSpecs,
      });
    }
    // 1. Unpublish.
    await index.unpublish();
    // 2. Spec files and manifests.
    await lock.check();
    const isSpecKey = (key: string) => /\.spec\.(json|json\.sig|yaml|manifest\.json)$/.test(key);
    const specKeys = plan.deletions.map((deletion) => deletion.key).filter(isSpecKey);
    const first = await deleteKeys({
      storage,
      keys: specKeys,
      concurrency: options.deleteConcurrency,
      onProgress: options.onProgress,
      ...retry,
    });
    // 3. Tarballs and blobs, but not those of a spec that is still whole.
    const failedKeys = new Set(first.failed.map((failure) => failure.key));
    const keptWhole = new Set(
      plan.deletions
        .filter((deletion) => deletion.hash && failedKeys.has(deletion.key))
        .map((deletion) => deletion.hash!),
    );
    const rest = plan.deletions.filter((deletion) => !isSpecKey(deletion.key));
    const second = await deleteKeys({
      storage,
      keys: rest.filter((deletion) => !keptWhole.has(deletion.hash!)).map((deletion) => deletion.key),
      concurrency: options.deleteConcurrency,
      onProgress: options.onProgress,
      ...retry,
    });
    const kept: DeleteFailure[] = rest
      .filter((deletion) => deletion.hash && keptWhole.has(deletion.hash))
      .map((deletion) => ({
        key: deletion.key,
        code: "SpecKept",
        message: `kept: the spec file or manifest of ${deletion.spec ?? deletion.hash} could not be deleted`,
      }));
    // 4. Publish the final index.
    const deletedSet = new Set([...first.deleted, ...second.deleted]);
    const gone = plan.deletedSpecs.filter((hash) =>
      cache.specs.get(hash)!.specKeys.every((key) => deletedSet.has(key)),
    );
    const outcome = await index.finish(new Set(gone));
    const journal = plan.deletedSpecs.length > 0 || cache.pendingListed ? [PENDING_KEY] : [];
    const old = await deleteKeys({ storage, keys: [...index.replaced, ...journal], ...retry });
    old.deleted = old.deleted.filter((key) => key !== PENDING_KEY);
    return {
      plan,
      deleted: [...first.deleted, ...second.deleted, ...old.deleted].sort(),
      failed: [...first.failed, ...second.failed, ...kept, ...old.failed].sort((a, b) =>
        a.key < b.key ? -1 : 1,
      ),
      index: outcome,
      lock: lock.record,
      warnings: plan.warnings,
    };
  } catch (error) {
    // The run's own error is the one to report; a lock that cannot be released then (the store
    // is gone) expires, and `--break-lock` takes it over.
    await lock?.release().catch(() => {});
    lock = undefined;
    throw error;
  } finally {
    try {
      await lock?.release();
    } finally {
      if (ownsStorage) storage.close?.();
    }
  }
}

/**
 * Writes the index in Spack's exact byte format. v2: `index.json` then `index.json.hash` (its
 * sha256), as `spack buildcache update-index` does. v3: the new database blob first, then the
 * index manifest pointing at it; blobs it replaces are collected for deletion.
 */
class IndexWriter {
  readonly written: string[] = [];
  readonly replaced: string[] = [];
  private readonly removedBefore: Set<string>;
  private readonly published: Set<string>;
  private readonly enabled: boolean;
  private lastText?: string;
  private blobInPlace?: string;

  constructor(
    private readonly cache: BuildCache,
    private readonly storage: CacheStorage,
    private readonly lock: CacheLock,
    private readonly protectedHashes: ReadonlySet<string>,
    private readonly plan: PrunePlan,
    reindex: boolean,
  ) {
    this.removedBefore = new Set(plan.staleIndexEntries);
    this.published = new Set(plan.republished);
    this.enabled = reindex && cache.index.status === "ok";
    this.lastText = cache.index.text;
    this.blobInPlace = cache.index.blobKey;
  }

  /** Step 1: the index without the specs about to go (their records kept, not in the build cache). */
  async unpublish(): Promise<void> {
    if (!this.enabled) return;
    const pending = new Set(this.plan.deletedSpecs);
    if (pending.size + this.removedBefore.size + this.published.size === 0) return;
    await this.write({
      removed: new Set([...pending, ...this.removedBefore]),
      retained: new Set([...this.protectedHashes, ...pending]),
      published: this.published,
    });
  }

  /** Step 4: the index as Spack would write it, without the specs whose objects are gone. */
  async finish(gone: ReadonlySet<string>): Promise<IndexOutcome> {
    const { cache } = this;
    const removedSpecs = gone.size + this.removedBefore.size;
    const changes = this.plan.deletedSpecs.length + this.removedBefore.size + this.published.size;
    if (!this.enabled) {
      if (changes === 0) return { status: "unchanged" };
      return {
        status: "skipped",
        removedSpecs,
        message:
          cache.index.status !== "ok"
            ? `the index is ${cache.index.status}, so it was not rewritten: run \`spack buildcache update-index ${this.plan.location}\`.`
            : `the index still lists ${removedSpecs} deleted spec(s): run \`spack buildcache update-index ${this.plan.location}\`.`,
      };
    }
    if (changes === 0) {
      if (cache.layout !== "v2" || cache.index.hashStatus === "ok") return { status: "unchanged" };
      // Nothing to remove, but a run that died between index.json and its hash left them apart.
      await this.lock.check();
      await this.storage.put(V2_INDEX_HASH_KEY, sha256Hex(cache.index.text!), "text/plain");
      return { status: "hash-repaired", written: [V2_INDEX_HASH_KEY] };
    }
    await this.write({
      removed: new Set([...gone, ...this.removedBefore]),
      retained: this.protectedHashes,
      published: this.published,
    });
    return {
      status: "rewritten",
      removedSpecs,
      republishedSpecs: this.published.size,
      written: this.written,
      replaced: this.replaced,
    };
  }

  private async write(change: RewriteDatabaseOptions): Promise<void> {
    const { cache, storage } = this;
    const database = rewriteDatabase(cache.index.database!, change);
    const next = formatPythonJson(database, detectPythonJsonStyle(cache.index.text!));
    if (next === this.lastText && (cache.layout === "v3" || cache.index.hashStatus === "ok")) return;
    await this.lock.check();
    this.lastText = next;
    if (cache.layout === "v2") {
      await storage.put(V2_INDEX_KEY, next, "application/json");
      await storage.put(V2_INDEX_HASH_KEY, sha256Hex(next), "text/plain");
      this.written.push(V2_INDEX_KEY, V2_INDEX_HASH_KEY);
      return;
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
    this.written.push(newBlob, V3_INDEX_MANIFEST_KEY);
    // The blob it replaces goes, unless a manifest other than the index's references it.
    const old = this.blobInPlace;
    this.blobInPlace = newBlob;
    if (
      old &&
      old !== newBlob &&
      [...(cache.blobReferrers.get(old) ?? [V3_INDEX_MANIFEST_KEY])].every(
        (key) => key === V3_INDEX_MANIFEST_KEY,
      )
    )
      this.replaced.push(old);
  }
}
