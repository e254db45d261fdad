import type { Warning } from "@spacktainers/core";
import type { CacheLockRecord } from "./cache-lock.js";
import { LOCK_KEY } from "./cache-lock.js";
import type { ListingCheck } from "./confirm-listing.js";
import type { PendingDeletions } from "./pending-deletions.js";
import { type PlannedDeletion, PRUNE_REASONS, type ReasonSummary } from "./plan-prune.js";
import type { BuildCache, CacheLayout, CacheSpec } from "./read-build-cache.js";

/** Counts per reason, in the order of `PRUNE_REASONS`. */
export function summarizeByReason(deletions: readonly PlannedDeletion[]): ReasonSummary[] {
  const summary: ReasonSummary[] = [];
  for (const reason of PRUNE_REASONS) {
    const rows = deletions.filter((deletion) => deletion.reason === reason);
    if (rows.length === 0) continue;
    summary.push({
      reason,
      specs: new Set(rows.map((row) => row.hash).filter(Boolean)).size,
      objects: rows.length,
      bytes: rows.reduce((sum, row) => sum + row.size, 0),
    });
  }
  return summary;
}

/** Every object of the spec is there: v2 spec file and tarball; v3 manifest and every blob it names. */
function isComplete(spec: CacheSpec, layout: CacheLayout): boolean {
  if (spec.specKeys.length === 0) return false;
  return layout === "v2" ? spec.tarballKey !== undefined : spec.missingBlobKeys.length === 0;
}

/** How the rewritten index differs from the current one, beside the deletions. */
export type IndexChanges = {
  /** Hashes of the specs whose every spec file (v2) or manifest (v3) is deleted. */
  deletedSpecs: string[];
  /** Listed as in the cache, but their spec file or manifest is confirmed gone. */
  staleIndexEntries: string[];
  /** Complete, kept, but marked as not in the cache (an interrupted run unpublished them). */
  republished: string[];
};

/** What the index rewrite will drop and list again; warnings about stale entries are appended. */
export function indexChanges(input: {
  cache: BuildCache;
  deletions: readonly PlannedDeletion[];
  check: ListingCheck;
  pending: PendingDeletions | undefined;
  warnings: Warning[];
}): IndexChanges {
  const { cache, check, warnings } = input;
  const deletedKeys = new Set(input.deletions.map((deletion) => deletion.key));
  const deletedSpecs = [...cache.specs.values()]
    .filter((spec) => spec.specKeys.length > 0 && spec.specKeys.every((key) => deletedKeys.has(key)))
    .map((spec) => spec.hash)
    .sort();
  // Specs an interrupted run deleted after unpublishing them: their records go too.
  const finished = (input.pending?.specs ?? []).filter(
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
  return { deletedSpecs, staleIndexEntries, republished };
}

/** The warning that another run holds the cache. */
export function lockWarning(location: string, lock: CacheLockRecord): Warning {
  return {
    file: LOCK_KEY,
    code: "CACHE_LOCKED",
    message: `the cache ${location} is locked by ${lock.owner} since ${lock.started || "an unknown time"}, until ${lock.expires || "an unknown time"}: a janitor run is changing it, and --apply is refused until that run ends.`,
  };
}
