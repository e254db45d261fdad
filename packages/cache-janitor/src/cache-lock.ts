import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { SpacktainersError, type Warning } from "@spacktainers/core";
import type { CacheStorage } from "./storage/cache-storage.js";

/**
 * Key of the lock object, at the cache root beside `build_cache/` (v2) or `v3/` (v3). Spack
 * never reads it, and the janitor never deletes it as part of a plan.
 */
export const LOCK_KEY = ".spacktainers-janitor.lock";

/** What the lock object holds (JSON). */
export type CacheLockRecord = {
  tool: "spacktainers-janitor";
  /** Who runs: user@host, process id, and the CI job URL when there is one. */
  owner: string;
  /** Random: tells this run's lock from any other's when it is read back. */
  token: string;
  /** When the run took the lock, ISO 8601. */
  started: string;
  /** After this time another run may take the lock over with `--break-lock`. */
  expires: string;
};

export interface AcquireCacheLockOptions {
  storage: CacheStorage;
  /** Wall clock of the lock (not the plan's `now`, which may be set in the past). Default `Date.now`. */
  clock?: () => number;
  /** How long the lock holds before another run may break it (default 180 minutes). */
  ttlMinutes?: number;
  /** Take over a lock past its expiry. A live lock is never broken. */
  breakLock?: boolean;
  /** Who holds it (default: user@host, pid, `CI_JOB_URL`). */
  owner?: string;
  env?: Record<string, string | undefined>;
}

/** A held lock. */
export interface CacheLock {
  readonly record: CacheLockRecord;
  /** Problems found while taking it (a store that ignores conditional writes). */
  readonly warnings: Warning[];
  /** Throws `LOCK_LOST` unless the lock object still holds this run's token. */
  check(): Promise<void>;
  /** Deletes the lock object if it is still this run's. */
  release(): Promise<void>;
}

const DEFAULT_TTL_MINUTES = 180;

function defaultOwner(env: Record<string, string | undefined>): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {}
  return `${user}@${hostname()} pid ${process.pid}${env.CI_JOB_URL ? ` (${env.CI_JOB_URL})` : ""}`;
}

function parseRecord(bytes: Uint8Array | undefined): CacheLockRecord | undefined {
  if (!bytes) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<CacheLockRecord>;
    if (typeof value.token === "string" && typeof value.expires === "string") return value as CacheLockRecord;
  } catch {}
  return {
    tool: "spacktainers-janitor",
    owner: "unknown (unreadable lock)",
    token: "",
    started: "",
    expires: "",
  };
}

/** Reads the lock of a cache, if any (for plans and messages; taking it is `acquireCacheLock`). */
export async function readCacheLock(storage: CacheStorage): Promise<CacheLockRecord | undefined> {
  return parseRecord(await storage.get(LOCK_KEY));
}

function heldError(storage: CacheStorage, held: CacheLockRecord, now: number, breakLock: boolean) {
  const expired = held.expires !== "" && Date.parse(held.expires) < now;
  const since = held.started ? ` since ${held.started}` : "";
  return new SpacktainersError({
    code: "LOCK_HELD",
    message: expired
      ? `the cache ${storage.location} is locked by ${held.owner}${since}; the lock expired at ${held.expires}, so that run probably died. ${breakLock ? "Another run took the lock over first." : "Check that it is not running, then pass --break-lock to take the lock over."} Nothing was deleted.`
      : `the cache ${storage.location} is locked by ${held.owner}${since}, until ${held.expires || "an unknown time"}: only one janitor run at a time may change a cache. Wait for it to end${held.expires ? "" : ", or remove the lock object " + LOCK_KEY + " if no run is going on"}. Nothing was deleted.`,
  });
}

/**
 * Takes the cache's lock: one janitor run at a time may change a cache. The lock object is
 * created with a conditional write (S3 `If-None-Match: *`, an exclusive create in a folder), so
 * of two runs only one gets it; the other is refused with the holder and since when. A lock past
 * its expiry is only taken over with `breakLock`.
 *
 * Some S3-compatible stores ignore `If-None-Match`. That is detected (a second conditional write
 * of the same key must fail; the lock is read back and its random token compared) and reported
 * as a `LOCK_NOT_EXCLUSIVE` warning: the lock is then kept on a best-effort basis (read back
 * before every change) instead of refusing every run on such a store.
 */
export async function acquireCacheLock(options: AcquireCacheLockOptions): Promise<CacheLock> {
  const { storage } = options;
  const clock = options.clock ?? Date.now;
  const env = options.env ?? process.env;
  const now = clock();
  const record: CacheLockRecord = {
    tool: "spacktainers-janitor",
    owner: options.owner ?? defaultOwner(env),
    token: randomUUID(),
    started: new Date(now).toISOString(),
    expires: new Date(now + (options.ttlMinutes ?? DEFAULT_TTL_MINUTES) * 60_000).toISOString(),
  };
  const body = `${JSON.stringify(record, null, 2)}\n`;
  const warnings: Warning[] = [];
  let conditional = true;
  const create = async (): Promise<boolean> => {
    if (!conditional) {
      await storage.put(LOCK_KEY, body, "application/json");
      return true;
    }
    try {
      return await storage.create(LOCK_KEY, body, "application/json");
    } catch (error) {
      if (!SpacktainersError.isInstance(error) || error.code !== "CONDITIONAL_WRITE_UNSUPPORTED") throw error;
      conditional = false;
      warnings.push(notExclusive(storage, "it refuses If-None-Match"));
      return create();
    }
  };

  // Read first: on a store that ignores conditional writes, a create would overwrite a live lock.
  const existing = await readCacheLock(storage);
  if (existing) {
    const expired = existing.expires !== "" && Date.parse(existing.expires) < now;
    if (!expired || !options.breakLock) throw heldError(storage, existing, now, false);
    await storage.deleteBatch([LOCK_KEY]);
  }
  const created = await create();
  if (!created) {
    const holder = await readCacheLock(storage);
    throw heldError(
      storage,
      holder ?? { ...record, owner: "another run taking it at the same moment", started: "", expires: "" },
      now,
      Boolean(existing),
    );
  }
  // Probe: a second conditional create of the key we now hold must fail.
  if (conditional) {
    const probe = `${JSON.stringify({ ...record, token: randomUUID(), owner: `${record.owner} (probe)` })}\n`;
    if (await storage.create(LOCK_KEY, probe, "application/json")) {
      warnings.push(notExclusive(storage, "a second conditional write of the lock succeeded"));
      await storage.put(LOCK_KEY, body, "application/json");
    }
  }
  const check = async () => {
    const current = await readCacheLock(storage);
    if (current?.token !== record.token)
      throw new SpacktainersError({
        code: "LOCK_LOST",
        message: `the lock of ${storage.location} is no longer this run's (${current ? `now held by ${current.owner} since ${current.started}` : "it was removed"}): another run writes to the cache at the same time. This run stopped before its next change.`,
      });
  };
  await check();
  return {
    record,
    warnings,
    check,
    async release() {
      const current = await readCacheLock(storage);
      if (current?.token === record.token) await storage.deleteBatch([LOCK_KEY]);
    },
  };
}

function notExclusive(storage: CacheStorage, why: string): Warning {
  return {
    file: LOCK_KEY,
    code: "LOCK_NOT_EXCLUSIVE",
    message: `the store of ${storage.location} ignores conditional writes (${why}), so its lock cannot exclude a second run that starts at the same moment; the lock is read back before every change instead. Prefer a store that honours If-None-Match (AWS S3, recent MinIO and Ceph).`,
  };
}
