import { SpacktainersError, UsageError, type Warning } from "@spacktainers/core";
import { type CacheLockRecord, LOCK_KEY, readCacheLock } from "./cache-lock.js";
import { confirmListing, type ListingCheck } from "./confirm-listing.js";
import { PENDING_KEY, type PendingDeletions, readPendingDeletions } from "./pending-deletions.js";
import {
  type BuildCache,
  type CacheLayout,
  type CacheSpec,
  type OrphanKind,
  readBuildCache,
} from "./read-build-cache.js";
import { readPackageNames } from "./read-package-names.js";
import { type Protection, readProtection } from "./read-protection.js";
import type { CacheStorage, StorageProgress } from "./storage/cache-storage.js";
import { openStorage } from "./storage/open-storage.js";

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

const DAY_MS = 86_400_000;

/** Display name of a spec: `name@version/hash`, or the hash alone. */
function specLabel(
  spec: { hash: string; name?: string; version?: string } | undefined,
  hash: string,
): string {
  if (!spec?.name) return hash;
  return `${spec.name}${spec.version ? `@${spec.version}` : ""}/${hash}`;
}

/** Keys no rule may delete, whatever the plan says: signing keys, the layout file, the janitor's lock. */
export function isAlwaysKept(key: string): boolean {
  return (
    key.startsWith("build_cache/_pgp/") ||
    key.startsWith("v3/manifests/key/") ||
    key === "v3/layout.json" ||
    key === LOCK_KEY ||
    key === PENDING_KEY
  );
}

/** Every object of the spec is there: v2 spec file and tarball; v3 manifest and every blob it names. */
function isComplete(spec: CacheSpec, layout: CacheLayout): boolean {
  if (spec.specKeys.length === 0) return false;
  return layout === "v2" ? spec.tarballKey !== undefined : spec.missingBlobKeys.length === 0;
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

/** Checks the options that need no I/O (a bad value fails before any request). */
function checkOptions(options: PlanPruneOptions): number {
  if (!(options.now instanceof Date) || Number.isNaN(options.now.getTime()))
    throw new UsageError("planPrune: `now` must be a valid Date.");
  if (options.maxAgeDays !== undefined && !(options.maxAgeDays >= 0))
    throw new UsageError(`--max-age must be a number of days ≥ 0, got ${options.maxAgeDays}.`);
  if (options.listingTolerance !== undefined && !(options.listingTolerance >= 0))
    throw new UsageError(`--listing-tolerance must be a number ≥ 0, got ${options.listingTolerance}.`);
  const maxDeleteFraction = options.maxDeleteFraction ?? 0.5;
  if (!(maxDeleteFraction >= 0 && maxDeleteFraction <= 1))
    throw new UsageError(`--max-delete-fraction must be between 0 and 1, got ${maxDeleteFraction}.`);
  return maxDeleteFraction;
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

type Selection = { reason: PruneReason; detail?: string };

function computePlan(
  cache: BuildCache,
  protection: Protection,
  packages: Set<string> | undefined,
  options: PlanPruneOptions,
  maxDeleteFraction: number,
  confirmation: Confirmation,
): { plan: PrunePlan; protectedHashes: Set<string> } {
  const now = options.now.getTime();
  const warnings: Warning[] = [...cache.warnings];
  const dependenciesOf = (hash: string) => [
    ...(cache.indexed.get(hash)?.dependencies ?? []),
    ...(protection.dependencies.get(hash) ?? []),
  ];
  const dependents = new Map<string, string[]>();
  for (const spec of cache.indexed.values())
    for (const dependency of spec.dependencies) {
      const list = dependents.get(dependency) ?? [];
      dependents.set(dependency, list);
      list.push(spec.hash);
    }
  const labelOf = (hash: string) => specLabel(cache.specs.get(hash) ?? cache.indexed.get(hash), hash);

  // Protection: the named hashes and everything they depend on.
  const protectedHashes = new Set<string>();
  const stack = [...protection.hashes];
  while (stack.length > 0) {
    const hash = stack.pop()!;
    if (protectedHashes.has(hash)) continue;
    protectedHashes.add(hash);
    stack.push(...dependenciesOf(hash));
  }

  const selected = new Map<string, Selection>();
  const kept = new Map<string, ProtectedSpec>();
  const select = (hash: string, selection: Selection) => {
    if (selected.has(hash) || kept.has(hash)) return;
    if (protectedHashes.has(hash)) {
      if (cache.specs.has(hash))
        kept.set(hash, { hash, spec: labelOf(hash), wouldBe: selection.reason, detail: selection.detail });
      return;
    }
    selected.set(hash, selection);
  };

  for (const wanted of options.purgeHashes ?? []) {
    const hash = wanted.replace(/^\//, "");
    const matches = new Set(
      [...cache.specs.keys(), ...cache.indexed.keys()].filter((candidate) => candidate.startsWith(hash)),
    );
    if (matches.size > 1)
      throw new UsageError(
        `hash prefix "${wanted}" is ambiguous: ${[...matches].sort().slice(0, 5).join(", ")}.`,
      );
    const [match] = matches;
    if (!match || !cache.specs.has(match)) {
      warnings.push({
        file: cache.index.key,
        code: "HASH_NOT_IN_CACHE",
        message: `no spec ${wanted} in the cache.`,
      });
      if (match) select(match, { reason: "purge", detail: "named with --hash" });
      continue;
    }
    select(match, { reason: "purge", detail: "named with --hash" });
  }

  for (const name of options.purgeDependentsOf ?? []) {
    const roots = [...cache.indexed.values(), ...cache.specs.values()]
      .filter((spec) => spec.name === name)
      .map((spec) => spec.hash);
    if (roots.length === 0)
      warnings.push({
        file: cache.index.key,
        code: "PACKAGE_NOT_IN_CACHE",
        message: `no spec of package "${name}" in the cache.`,
      });
    const seen = new Set(roots);
    const queue = [...roots];
    for (let next = 0; next < queue.length; next++) {
      for (const dependent of dependents.get(queue[next]!) ?? []) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        queue.push(dependent);
        if (cache.specs.has(dependent))
          select(dependent, { reason: "depends-on-package", detail: `depends on ${name}` });
      }
    }
  }

  if (options.maxAgeDays !== undefined) {
    const limit = now - options.maxAgeDays * DAY_MS;
    for (const spec of cache.specs.values())
      if (spec.lastModified < limit)
        select(spec.hash, {
          reason: "max-age",
          detail: `last modified ${new Date(spec.lastModified).toISOString()}, ${Math.floor((now - spec.lastModified) / DAY_MS)} days before the run`,
        });
  }

  if (packages) {
    let unnamed = 0;
    for (const spec of cache.specs.values()) {
      if (!spec.name) unnamed++;
      else if (!packages.has(spec.name))
        select(spec.hash, {
          reason: "package-gone",
          detail: `no package "${spec.name}" in the package list`,
        });
    }
    if (unnamed > 0)
      warnings.push({
        file: cache.index.key,
        code: "SPEC_NAME_UNKNOWN",
        message: `${unnamed} spec(s) have no known package name (not in the index, no tarball); the package rule skipped them.`,
      });
  }

  // An interrupted run's journal, after the rules (a spec they select keeps their reason) and
  // before the cascade, which does not start from it: that run's journal holds the dependents
  // it cascaded to, and the specs it deleted as orphans do not cascade.
  const { pending } = confirmation;
  const unfinished = new Set<string>();
  for (const hash of pending?.specs ?? [])
    if (cache.specs.has(hash) && !selected.has(hash)) {
      unfinished.add(hash);
      select(hash, {
        reason: "unfinished-run",
        detail: `unpublished by the run of ${pending!.owner} started ${pending!.started}, which did not finish`,
      });
    }

  if (options.cascade !== false) {
    const queue = [...selected.keys()].filter((hash) => !unfinished.has(hash));
    for (let next = 0; next < queue.length; next++) {
      const hash = queue[next]!;
      for (const dependent of dependents.get(hash) ?? []) {
        if (selected.has(dependent) || kept.has(dependent)) continue;
        select(dependent, { reason: "dependency-deleted", detail: `depends on ${labelOf(hash)}` });
        // Dependents that are not in the cache still pass the breakage on to theirs.
        if (selected.has(dependent) || !cache.specs.has(dependent)) queue.push(dependent);
      }
    }
  }

  const deletions = new Map<string, PlannedDeletion>();
  const add = (key: string, reason: PruneReason, hash?: string, detail?: string) => {
    const object = cache.objectsByKey.get(key);
    if (!object || deletions.has(key) || cache.protectedKeys.has(key) || isAlwaysKept(key)) return;
    deletions.set(key, {
      key,
      size: object.size,
      reason,
      ...(hash ? { hash, spec: labelOf(hash) } : {}),
      ...(detail ? { detail } : {}),
    });
  };
  const deletedManifests = new Set<string>();
  const deleteSpec = (spec: CacheSpec, reason: PruneReason, detail?: string) => {
    for (const key of spec.specKeys) {
      add(key, reason, spec.hash, detail);
      deletedManifests.add(key);
    }
    if (spec.tarballKey) add(spec.tarballKey, reason, spec.hash, detail);
  };
  for (const [hash, selection] of selected) {
    const spec = cache.specs.get(hash);
    if (spec) deleteSpec(spec, selection.reason, selection.detail);
  }

  if (options.orphans !== false) {
    const graceLimit = now - (options.orphanGraceMinutes ?? 60) * 60_000;
    let recent = 0;
    for (const candidate of cache.orphanCandidates) {
      if (deletions.has(candidate.key)) continue;
      const object = cache.objectsByKey.get(candidate.key)!;
      if (object.lastModified > graceLimit) {
        recent++;
        continue;
      }
      // Never on the listing's word alone: the partner was asked for and is really absent.
      if (!confirmation.confirmedOrphans.has(candidate.key)) continue;
      const detail = {
        "orphan-tarball": "no spec file",
        "orphan-spec-file": "no tarball",
        "orphan-manifest": "some of its blobs are missing",
        "orphan-blob": "no manifest references it",
      }[candidate.kind];
      if (candidate.hash && protectedHashes.has(candidate.hash)) {
        if (!kept.has(candidate.hash))
          kept.set(candidate.hash, {
            hash: candidate.hash,
            spec: labelOf(candidate.hash),
            wouldBe: candidate.kind,
            detail,
          });
        continue;
      }
      add(candidate.key, candidate.kind, candidate.hash, detail);
      if (candidate.kind === "orphan-manifest") deletedManifests.add(candidate.key);
    }
    if (recent > 0)
      warnings.push({
        file: cache.location,
        code: "ORPHANS_TOO_RECENT",
        message: `${recent} orphan candidate(s) were modified less than ${options.orphanGraceMinutes ?? 60} minutes before the run and are kept (pushes may be in flight).`,
      });
  }

  // v3: a deleted manifest takes its blobs along, unless a surviving manifest references them.
  if (cache.layout === "v3")
    for (const manifest of deletedManifests) {
      const deletion = deletions.get(manifest);
      const spec = deletion?.hash ? cache.specs.get(deletion.hash) : undefined;
      if (!deletion || !spec) continue;
      for (const blob of spec.blobKeys) {
        const referrers = cache.blobReferrers.get(blob);
        if (referrers && [...referrers].every((referrer) => deletedManifests.has(referrer)))
          add(blob, deletion.reason, deletion.hash, deletion.detail);
      }
    }

  const sorted = [...deletions.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const deletedSpecs = [...cache.specs.values()]
    .filter((spec) => spec.specKeys.length > 0 && spec.specKeys.every((key) => deletions.has(key)))
    .map((spec) => spec.hash)
    .sort();
  const summary: ReasonSummary[] = [];
  for (const reason of PRUNE_REASONS) {
    const rows = sorted.filter((deletion) => deletion.reason === reason);
    if (rows.length === 0) continue;
    summary.push({
      reason,
      specs: new Set(rows.map((row) => row.hash).filter(Boolean)).size,
      objects: rows.length,
      bytes: rows.reduce((sum, row) => sum + row.size, 0),
    });
  }
  const { check } = confirmation;
  // Specs an interrupted run deleted after unpublishing them: their records go too.
  const finished = (pending?.specs ?? []).filter(
    (hash) => cache.indexed.has(hash) && !cache.specs.get(hash)?.specKeys.length,
  );
  const staleIndexEntries = [...new Set([...check.confirmedAbsent, ...finished])].sort();
  const what = cache.layout === "v2" ? "spec file" : "manifest";
  if (staleIndexEntries.length > 0)
    warnings.push({
      file: cache.index.key,
      code: "INDEX_STALE",
      message: `the index lists ${staleIndexEntries.length} spec(s) whose ${what} is missing (first: ${staleIndexEntries[0]}; each confirmed absent); --apply rewrites the index without them.`,
    });
  if (check.unconfirmed.length > 0)
    warnings.push({
      file: cache.index.key,
      code: "INDEX_STALE_UNCONFIRMED",
      message: `the index lists ${check.unconfirmed.length} spec(s) whose ${what} is not listed and whose key cannot be derived from the record (first: ${check.unconfirmed[0]}); they stay in the index.`,
      hint: "run `spack buildcache update-index` to rebuild the index from the objects",
    });
  const deletedSpecSet = new Set(deletedSpecs);
  const republished = [...cache.indexed.values()]
    .filter((indexed) => {
      const spec = cache.specs.get(indexed.hash);
      return (
        !indexed.inBuildcache &&
        spec !== undefined &&
        !deletedSpecSet.has(indexed.hash) &&
        isComplete(spec, cache.layout)
      );
    })
    .map((spec) => spec.hash)
    .sort();
  if (confirmation.lock)
    warnings.push({
      file: LOCK_KEY,
      code: "CACHE_LOCKED",
      message: `the cache ${cache.location} is locked by ${confirmation.lock.owner} since ${confirmation.lock.started || "an unknown time"}, until ${confirmation.lock.expires || "an unknown time"}: a janitor run is changing it, and --apply is refused until that run ends.`,
    });
  const deleteFraction = cache.objects.length === 0 ? 0 : sorted.length / cache.objects.length;
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
    deletions: sorted,
    deletedSpecs,
    staleIndexEntries,
    republished,
    ...(confirmation.lock ? { lock: confirmation.lock } : {}),
    protected: [...kept.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1)),
    summary,
    totals: {
      specs: new Set(sorted.map((row) => row.hash).filter(Boolean)).size,
      objects: sorted.length,
      bytes: sorted.reduce((sum, row) => sum + row.size, 0),
    },
    safety: { deleteFraction, maxDeleteFraction, exceeded: deleteFraction > maxDeleteFraction },
    warnings,
  };
  return { plan, protectedHashes };
}
