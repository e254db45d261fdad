import type { Warning } from "@spacktainers/core";
import type { CacheStorage } from "./storage/cache-storage.js";

/**
 * Key of the journal of a run's deletions, at the cache root beside the lock. `applyPrune`
 * writes it before it unpublishes anything and deletes it once the final index is in place, so
 * a run that dies in between leaves the list of specs it had decided to delete. The next run
 * finishes that work first: the dependents of a half-deleted spec were unpublished with it, and
 * without the journal nothing would tell them from specs that are merely not indexed.
 */
export const PENDING_KEY = ".spacktainers-janitor.pending.json";

/** What the journal holds (JSON). */
export type PendingDeletions = {
  /** Who ran (the lock's owner). */
  owner: string;
  /** When that run took its lock, ISO 8601. */
  started: string;
  /** Hashes of the specs it was deleting, sorted. */
  specs: string[];
};

/** Writes the journal of the specs about to be deleted. */
export async function writePendingDeletions(storage: CacheStorage, pending: PendingDeletions): Promise<void> {
  await storage.put(PENDING_KEY, `${JSON.stringify(pending, null, 2)}\n`, "application/json");
}

/** Reads an interrupted run's journal; an unreadable one is a warning and is ignored. */
export async function readPendingDeletions(
  storage: CacheStorage,
): Promise<{ pending?: PendingDeletions; warnings: Warning[] }> {
  const bytes = await storage.get(PENDING_KEY);
  if (!bytes) return { warnings: [] };
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PendingDeletions>;
    if (Array.isArray(value.specs) && value.specs.every((hash) => typeof hash === "string"))
      return {
        pending: {
          owner: String(value.owner ?? "unknown"),
          started: String(value.started ?? ""),
          specs: value.specs,
        },
        warnings: [],
      };
  } catch {}
  return {
    warnings: [
      {
        file: PENDING_KEY,
        code: "PENDING_UNREADABLE",
        message: `the journal of an interrupted run cannot be read; it is ignored (and replaced by the next --apply that deletes).`,
      },
    ],
  };
}
