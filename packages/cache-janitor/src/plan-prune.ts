import {
  checkNumberRange,
  type NumberRange,
  SpacktainersError,
  UsageError,
  type Warning,
} from "@spacktainers/core";
import { type CacheLockRecord, readCacheLock } from "./cache-lock.js";
import { collectDeletions } from "./collect-deletions.js";
import { confirmListing, type ListingCheck } from "./confirm-listing.js";
import { type PendingDeletions, readPendingDeletions } from "./pending-deletions.js";
import { type BuildCache, type CacheLayout, type OrphanKind, readBuildCache } from "./read-build-cache.js";
import { readPackageNames } from "./read-package-names.js";
import { type Protection, readProtection } from "./read-protection.js";
import { selectSpecs } from "./select-specs.js";
import { buildSpecGraph } from "./spec-graph.js";
import type { CacheStorage, StorageProgress } from "./storage/cache-storage.js";
import { openStorage } from "./storage/open-storage.js";
import { indexChanges, lockWarning, summarizeByReason } from "./summarize-plan.js";

/** Why an object is deleted. */
export type PruneReason =
  /** An interrupted `--apply` had unpublished it (its journal names it): the deletion is finished. */
  | "unfinished-run"
  /** `purge --hash`: named on the command line. */
  | "purge"
  /** `purge-dependents --package`: depends, directly or not, on the named package. */
  | "depends-on-package"
  /** Older than `--max-age` days. */
  | "max-age"
  /** Its package is in none of the `--packages-from` repositories or name files. */
  | "package-gone"
  /** `--cascade`: depends on a spec deleted for another reason. */
  | "dependency-deleted"
  | OrphanKind;

/** Order of reasons in summaries and tables. */
export const PRUNE_REASONS: readonly PruneReason[] = [
  "unfinished-run",
  "purge",
  "depends-on-package",
  "max-age",
  "package-gone",
  "dependency-deleted",
  "orphan-spec-file",
  "orphan-tarball",
  "orphan-manifest",
  "orphan-blob",
];

/** One object the plan deletes. */
export type PlannedDeletion = {
  key: string;
  size: number;
  reason: PruneReason;
  /** Hash of the spec the object belongs to (absent for orphan blobs). */
  hash?: string;
  /** `name@version/hash` when known. */
  spec?: string;
  /** More about the reason (the gone dependency, the age, the missing counterpart). */
  detail?: string;
};

/** A spec a rule selected but protection kept. */
export type ProtectedSpec = { hash: string; spec?: string; wouldBe: PruneReason; detail?: string };

/** Counts per reason. */
export type ReasonSummary = { reason: PruneReason; specs: number; objects: number; bytes: number };

/** A dry run: what would be deleted and why. Pure data. */
export type PrunePlan = {
  /** Where the cache is (never holds credentials). */
  location: string;
  layout: CacheLayout;
  /** The run's start, ISO 8601. */
  now: string;
  inventory: { objects: number; bytes: number; specs: number; indexedSpecs: number };
  index: {
    key: string;
    status: "ok" | "missing" | "unreadable";
    problem?: string;
    /** v2: whether `index.json.hash` matches `index.json` (`--apply` repairs it). */
    hash?: "ok" | "mismatch" | "missing";
  };
  /** What was checked of the listing; `incomplete` means `--apply` deletes nothing. */
  listing: ListingCheck;
  /** Every object to delete, sorted by key. */
  deletions: PlannedDeletion[];
  /** Hashes of the specs whose spec file (v2) or manifest (v3) is deleted, sorted. */
  deletedSpecs: string[];
  /**
   * Specs the index lists as in the cache whose spec file (v2) or manifest (v3) is missing,
   * confirmed absent object by object; a rewrite drops them.
   */
  staleIndexEntries: string[];
  /**
   * Specs whose objects are all there and that are not deleted, but that the index marks as not
   * in the build cache (a run interrupted after unpublishing them); a rewrite lists them again.
   */
  republished: string[];
  /** Another run's lock on the cache, when one is held (`--apply` is then refused). */
  lock?: CacheLockRecord;
  /** Specs kept by `--keep-lock`/`--keeplist` although a rule selected them. */
  protected: ProtectedSpec[];
  summary: ReasonSummary[];
  totals: { specs: number; objects: number; bytes: number };
  safety: { deleteFraction: number; maxDeleteFraction: number; exceeded: boolean };
  warnings: Warning[];
};

/** The rules of a run. Protection (`keep*`) always wins over every rule. */
export interface PruneRules {
  /** Delete specs older than this many days (newest of their objects). */
  maxAgeDays?: number;
  /** Spack package repositories (folders) or files of package names; specs of other packages are deleted. */
  packagesFrom?: readonly string[];
  /** Package names given directly (added to `packagesFrom`). */
  packageNames?: Iterable<string>;
  /** Also delete the dependents of deleted specs, recursively (default true). */
  cascade?: boolean;
  /** Delete orphans: v2 tarballs without spec file and the reverse; v3 manifests with missing blobs, unreferenced blobs (default true). */
  orphans?: boolean;
  /** Delete these specs (full hashes or unique prefixes). */
  purgeHashes?: readonly string[];
  /** Delete every spec that depends on these packages, recursively (not the packages themselves). */
  purgeDependentsOf?: readonly string[];
  /** Never delete a concrete spec of these lockfiles, nor its dependencies. */
  keepLocks?: readonly string[];
  /** Never delete these hashes (keeplist files, one hash a line), nor their dependencies. */
  keeplists?: readonly string[];
  /** Never delete these hashes, nor their dependencies. */
  keepHashes?: readonly string[];
  /** Objects modified less than this many minutes before `now` are never orphans: pushes in flight (default 60). */
  orphanGraceMinutes?: number;
}

export interface PlanPruneOptions extends PruneRules {
  /** `s3://bucket/prefix`, `file:///path`, a folder, or a storage. */
  cache: string | CacheStorage;
  /** The run's start; ages and the orphan grace period count from it. */
  now: Date;
  /** S3 endpoint for S3-compatible stores. */
  endpoint?: string;
  /** Base of relative paths. */
  cwd?: string;
  /** Environment (S3 region fallback). */
  env?: Record<string, string | undefined>;
  /** Plan even when the index is missing or unreadable (dependencies are then unknown). */
  allowMissingIndex?: boolean;
  /** Refuse (in `applyPrune`) to delete more than this fraction of the objects (default 0.5). */
  maxDeleteFraction?: number;
  /** Parallel manifest reads (v3) and HEADs. */
  concurrency?: number;
  /**
   * Index entries the listing may lack before the run stops (default 50); each accepted one is
   * confirmed absent with a HEAD before the index drops it.
   */
  listingTolerance?: number;
  onProgress?: (progress: StorageProgress) => void;
}

/**
 * Plans a prune: lists the cache once, confirms with the store every absence a deletion would
 * rest on, applies the rules and protection, and returns the plan. Reads only.
 */
export async function planPrune(options: PlanPruneOptions): Promise<PrunePlan> {
  const { storage, ownsStorage } = openCacheStorage(options);
  try {
    return (await preparePrune(options, storage)).plan;
  } finally {
    if (ownsStorage) storage.close?.();
  }
}

/** A plan together with the cache it was made from (what `applyPrune` needs). */
export type PreparedPrune = {
  plan: PrunePlan;
  cache: BuildCache;
  /** Every protected hash, dependencies included. */
  protectedHashes: Set<string>;
};

/** The storage of `options.cache`, and whether the caller must close it. */
export function openCacheStorage(options: PlanPruneOptions): { storage: CacheStorage; ownsStorage: boolean } {
  if (typeof options.cache !== "string") return { storage: options.cache, ownsStorage: false };
  return {
    storage: openStorage({
      url: options.cache,
      endpoint: options.endpoint,
      cwd: options.cwd,
      env: options.env,
    }),
    ownsStorage: true,
  };
}

/** The ranges of the numeric options; the CLI's flags parse with the same ranges. */
export const PRUNE_OPTION_RANGES = {
  maxAgeDays: { min: 0 },
  listingTolerance: { min: 0, integer: true },
  maxDeleteFraction: { min: 0, max: 1 },
  orphanGraceMinutes: { min: 0 },
  concurrency: { min: 1, integer: true },
  /** `applyPrune`'s delete requests in flight (the CLI's `--concurrency` when it deletes). */
  deleteConcurrency: { min: 1, integer: true },
  lockTtlMinutes: { min: 1 },
} as const satisfies Record<string, NumberRange>;

/** Throws a usage error naming the option when a numeric option is out of its range. */
export function checkPruneOptionRanges(
  options: { [K in keyof typeof PRUNE_OPTION_RANGES]?: number | undefined },
): void {
  for (const [name, range] of Object.entries(PRUNE_OPTION_RANGES)) {
    const value = options[name as keyof typeof PRUNE_OPTION_RANGES];
    if (value === undefined) continue;
    const problem =
      typeof value === "number" ? checkNumberRange(value, range) : `takes a number, got ${String(value)}`;
    if (problem) throw new UsageError(`${name} ${problem}.`);
  }
}

/** Checks the options that need no I/O (a bad value fails before any request). */
function checkOptions(options: PlanPruneOptions): number {
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime()))
    throw new UsageError("planPrune: `now` must be a valid Date.");
  checkPruneOptionRanges(options);
  return options.maxDeleteFraction ?? 0.5;
}

/**
 * Reads inputs and the cache, confirms the listing, and plans. Internal to `planPrune` and
 * `applyPrune`; `ownLock` is the lock `applyPrune` holds (its own lock object is then expected).
 */
export async function preparePrune(
  options: PlanPruneOptions,
  storage: CacheStorage,
  ownLock?: CacheLockRecord,
): Promise<PreparedPrune> {
  const maxDeleteFraction = checkOptions(options);
  // Inputs first: a bad lockfile fails before any request is made.
  const protection = await readProtection(options);
  let packages: Set<string> | undefined;
  if (options.packagesFrom?.length || options.packageNames) {
    packages = options.packagesFrom?.length ? await readPackageNames(options.packagesFrom) : new Set();
    for (const name of options.packageNames ?? []) packages.add(name);
    if (packages.size === 0) throw new UsageError("the package list is empty; it would delete every spec.");
  }
  const cache = await readBuildCache({
    storage,
    concurrency: options.concurrency,
    onProgress: options.onProgress,
  });
  if (cache.index.status !== "ok" && !options.allowMissingIndex)
    throw new SpacktainersError({
      code: cache.index.status === "missing" ? "INDEX_MISSING" : "INDEX_UNREADABLE",
      message: `the index ${cache.index.key} of ${storage.location} is ${cache.index.status}${cache.index.problem ? ` (${cache.index.problem})` : ""}. Without it the dependencies between specs are unknown, so dependents and protected dependencies cannot be found. Run \`spack buildcache update-index\` first, or pass --allow-missing-index.`,
    });
  const graceLimit = options.now.getTime() - (options.orphanGraceMinutes ?? 60) * 60_000;
  const confirmation = await confirmListing({
    storage,
    cache,
    orphans:
      options.orphans === false
        ? []
        : cache.orphanCandidates.filter(
            (candidate) => cache.objectsByKey.get(candidate.key)!.lastModified <= graceLimit,
          ),
    tolerance: options.listingTolerance,
    concurrency: options.concurrency,
    onProgress: options.onProgress,
  });
  const lock = !ownLock && cache.lockListed ? await readCacheLock(storage) : undefined;
  const journal = cache.pendingListed ? await readPendingDeletions(storage) : { warnings: [] };
  cache.warnings.push(...journal.warnings);
  const { plan, protectedHashes } = computePlan(cache, protection, packages, options, maxDeleteFraction, {
    ...confirmation,
    lock,
    pending: journal.pending,
  });
  return { plan, cache, protectedHashes };
}

/** What the store said when asked directly, beside the listing. */
type Confirmation = {
  check: ListingCheck;
  /** Orphan candidates whose partner is confirmed absent. */
  confirmedOrphans: Set<string>;
  lock?: CacheLockRecord;
  /** The journal of an interrupted run. */
  pending?: PendingDeletions;
};

/** The plan from what was read: protect, select by the rules, collect objects, summarise. Pure. */
function computePlan(
  cache: BuildCache,
  protection: Protection,
  packages: Set<string> | undefined,
  options: PlanPruneOptions,
  maxDeleteFraction: number,
  confirmation: Confirmation,
): { plan: PrunePlan; protectedHashes: Set<string> } {
  const warnings: Warning[] = [...cache.warnings];
  const graph = buildSpecGraph(cache, protection);
  const selection = selectSpecs({ cache, graph, options, packages, pending: confirmation.pending, warnings });
  const deletions = collectDeletions({
    cache,
    graph,
    selection,
    options,
    confirmedOrphans: confirmation.confirmedOrphans,
    warnings,
  });
  const { check, lock } = confirmation;
  const changes = indexChanges({ cache, deletions, check, pending: confirmation.pending, warnings });
  if (lock) warnings.push(lockWarning(cache.location, lock));
  const deleteFraction = cache.objects.length === 0 ? 0 : deletions.length / cache.objects.length;
  const plan: PrunePlan = {
    location: cache.location,
    layout: cache.layout,
    now: options.now.toISOString(),
    inventory: {
      objects: cache.objects.length,
      bytes: cache.objects.reduce((sum, object) => sum + object.size, 0),
      specs: [...cache.specs.values()].filter((spec) => spec.specKeys.length > 0).length,
      indexedSpecs: [...cache.indexed.values()].filter((spec) => spec.inBuildcache).length,
    },
    index: {
      key: cache.index.key,
      status: cache.index.status,
      ...(cache.index.problem ? { problem: cache.index.problem } : {}),
      ...(cache.index.hashStatus ? { hash: cache.index.hashStatus } : {}),
    },
    listing: check,
    deletions,
    ...changes,
    ...(lock ? { lock } : {}),
    protected: [...selection.kept.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1)),
    summary: summarizeByReason(deletions),
    totals: {
      specs: new Set(deletions.map((row) => row.hash).filter(Boolean)).size,
      objects: deletions.length,
      bytes: deletions.reduce((sum, row) => sum + row.size, 0),
    },
    safety: { deleteFraction, maxDeleteFraction, exceeded: deleteFraction > maxDeleteFraction },
    warnings,
  };
  return { plan, protectedHashes: graph.protectedHashes };
}
