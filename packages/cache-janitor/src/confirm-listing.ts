import { mapWithConcurrency } from "@spacktainers/core";
import type { BuildCache, OrphanCandidate } from "./read-build-cache.js";
import {
  v2SpecFileKeysOfRecord,
  v2SpecFileKeysOfTarball,
  v2TarballKeysOfSpecFile,
  v3ManifestKeyOfRecord,
} from "./spack-keys.js";
import type { CacheStorage, StorageProgress } from "./storage/cache-storage.js";

/**
 * What the janitor checked of the listing before trusting it with a delete. A listing is a
 * claim: s3rver 3.7.1 dropped keys past 1,000, and real stores have buggy clones, eventually
 * consistent listings and proxies that lose pages. Every absence a delete rests on is asked of
 * the store object by object (HEAD) first.
 */
export type ListingCheck = {
  /** `incomplete`: the listing lacks objects that exist; nothing may be deleted on its word. */
  status: "confirmed" | "incomplete";
  /** Specs the index lists as in the cache whose spec file (v2) or manifest (v3) the listing lacks. */
  indexedButUnlisted: number;
  /** How many of those are accepted (each confirmed absent by a HEAD) before the run stops unasked. */
  tolerance: number;
  /** Objects asked for one by one (HEAD requests). */
  heads: number;
  /** Keys the listing lacked but that exist (found by a HEAD), sorted; the first 20. */
  foundUnlisted: string[];
  /** Index entries confirmed absent: a rewrite drops them. */
  confirmedAbsent: string[];
  /** Index entries whose keys cannot be derived from their record: kept in the index. */
  unconfirmed: string[];
  /** Why the listing looks incomplete, and what was compared. */
  message?: string;
};

export interface ConfirmListingOptions {
  storage: CacheStorage;
  cache: BuildCache;
  /** The orphan candidates the plan would delete (already past the grace period). */
  orphans: readonly OrphanCandidate[];
  /** Accepted index entries without listed objects before stopping (default 50). */
  tolerance?: number;
  /** HEADs in flight at once (default 16). */
  concurrency?: number;
  onProgress?: (progress: StorageProgress) => void;
}

/** Default of `--listing-tolerance`. */
export const DEFAULT_LISTING_TOLERANCE = 50;

/** How many index entries are sampled with a HEAD when there are too many to confirm. */
const SAMPLE = 20;

/** The listing's contradictions with the index, and every orphan's missing partner, asked of the store. */
export async function confirmListing(
  options: ConfirmListingOptions,
): Promise<{ check: ListingCheck; confirmedOrphans: Set<string> }> {
  const { storage, cache } = options;
  const tolerance = options.tolerance ?? DEFAULT_LISTING_TOLERANCE;
  const unlisted = [...cache.indexed.values()]
    .filter((spec) => spec.inBuildcache && !cache.specs.get(spec.hash)?.specKeys.length)
    .map((spec) => spec.hash)
    .sort();
  const record = (hash: string) => cache.index.database?.database.installs[hash];
  const indexedKeys = (hash: string) =>
    cache.layout === "v2"
      ? v2SpecFileKeysOfRecord(hash, record(hash))
      : v3ManifestKeyOfRecord(hash, record(hash));

  // Too many to confirm one by one: a sample tells a lying listing from a stale index.
  const tooMany = unlisted.length > tolerance;
  const indexChecks = (tooMany ? unlisted.slice(0, SAMPLE) : unlisted).map((hash) => ({
    hash,
    keys: indexedKeys(hash),
  }));
  // When the run stops anyway, its orphans need not be asked for.
  const orphanChecks = (tooMany ? [] : options.orphans)
    .filter((orphan) => orphan.kind !== "orphan-blob")
    .map((orphan) => ({ orphan, keys: partnerKeys(cache, orphan) }));

  let heads = 0;
  let done = 0;
  const total = indexChecks.length + orphanChecks.length;
  /** The first of `keys` that exists, asked in order. */
  const firstPresent = async (keys: readonly string[]) => {
    for (const key of keys) {
      heads++;
      if (await storage.head(key)) return key;
    }
    return undefined;
  };
  const concurrency = options.concurrency ?? 16;
  const indexFound = await mapWithConcurrency(indexChecks, concurrency, async ({ keys }) => {
    const found = await firstPresent(keys);
    options.onProgress?.({ phase: "confirm", done: ++done, total });
    return found;
  });
  const orphanFound = await mapWithConcurrency(orphanChecks, concurrency, async ({ keys }) => {
    const found = keys.length === 0 ? "" : await firstPresent(keys);
    options.onProgress?.({ phase: "confirm", done: ++done, total });
    return found;
  });

  const foundUnlisted = [
    ...new Set([...indexFound, ...orphanFound].filter((key): key is string => Boolean(key))),
  ].sort();
  const confirmedAbsent = tooMany
    ? []
    : indexChecks
        .filter((check, position) => check.keys.length > 0 && !indexFound[position])
        .map((check) => check.hash);
  const unconfirmed = tooMany
    ? []
    : indexChecks.filter((check) => check.keys.length === 0).map((check) => check.hash);
  // An orphan whose partner could not even be named ("") is not deleted either.
  const confirmedOrphans = new Set(
    orphanChecks
      .filter((_, position) => orphanFound[position] === undefined)
      .map((check) => check.orphan.key),
  );
  if (!tooMany)
    for (const orphan of options.orphans) if (orphan.kind === "orphan-blob") confirmedOrphans.add(orphan.key);

  const what = cache.layout === "v2" ? "spec file" : "manifest";
  const compared = `compared the index's ${[...cache.indexed.values()].filter((spec) => spec.inBuildcache).length} spec(s) with the ${cache.objects.length} listed object(s)`;
  let message: string | undefined;
  if (foundUnlisted.length > 0)
    message = `the listing of ${storage.location} looks incomplete: ${foundUnlisted.length} object(s) it lacks exist when asked one by one (first: ${foundUnlisted[0]})${tooMany ? `, and the index lists ${unlisted.length} spec(s) whose ${what} the listing lacks (more than --listing-tolerance ${tolerance})` : ""}; ${compared}. Nothing may be deleted on this listing's word. Check the store or any proxy in between (a listing must hold every key, in byte order), then run again.`;
  else if (tooMany)
    message = `the listing of ${storage.location} may be incomplete: the index lists ${unlisted.length} spec(s) whose ${what} the listing lacks (first: ${unlisted[0]}), more than --listing-tolerance ${tolerance}; ${compared}. ${indexChecks.length} of them, asked one by one, are really gone, so the index may just be stale: if ${unlisted.length} missing spec(s) is plausible, run again with --listing-tolerance ${unlisted.length} (each is then confirmed absent before the index drops it).`;
  return {
    check: {
      status: message ? "incomplete" : "confirmed",
      indexedButUnlisted: unlisted.length,
      tolerance,
      heads,
      foundUnlisted: foundUnlisted.slice(0, 20),
      confirmedAbsent,
      unconfirmed,
      ...(message ? { message } : {}),
    },
    confirmedOrphans,
  };
}

/** The keys whose absence makes `orphan` an orphan: the first that exists proves the listing wrong. */
function partnerKeys(cache: BuildCache, orphan: OrphanCandidate): string[] {
  const record = orphan.hash ? cache.index.database?.database.installs[orphan.hash] : undefined;
  switch (orphan.kind) {
    case "orphan-tarball":
      return v2SpecFileKeysOfTarball(orphan.key);
    case "orphan-spec-file":
      return v2TarballKeysOfSpecFile(orphan.key, record);
    case "orphan-manifest":
      return orphan.hash ? (cache.specs.get(orphan.hash)?.missingBlobKeys ?? []) : [];
    default:
      return [];
  }
}
