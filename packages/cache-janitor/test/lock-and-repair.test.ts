import { createHash } from "node:crypto";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import {
  applyPrune,
  type CacheStorage,
  createLocalStorage,
  createMemoryStorage,
  LOCK_KEY,
  type MemoryObject,
  PENDING_KEY,
  planPrune,
  type SpackDatabase,
} from "../src/index.js";
import { NOW } from "./helpers.js";
import { generateV2Cache } from "./synthetic-cache.js";

const HOUR = 3_600_000;
const text = (objects: Map<string, MemoryObject>, key: string) =>
  new TextDecoder().decode(objects.get(key)!.body);

function inCache(objects: Map<string, MemoryObject>): string[] {
  const database = JSON.parse(text(objects, "build_cache/index.json")) as SpackDatabase;
  return Object.entries(database.database.installs)
    .filter(([, record]) => record.in_buildcache !== false)
    .map(([hash]) => hash)
    .sort();
}

/** A cache of 60 specs where max-age 30 selects some. */
function cacheWithOldSpecs() {
  return generateV2Cache({ specs: 60, seed: 21, now: NOW, ageDays: 60 });
}

describe("one run at a time", () => {
  it("of two concurrent --apply runs on one cache, only one deletes; the other says who holds the lock", async () => {
    const { objects } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects });
    const options = (owner: string) => ({
      cache: storage,
      now: NOW,
      maxAgeDays: 30,
      force: true,
      lockClock: () => NOW.getTime(),
      env: { CI_JOB_URL: `https://gitlab.example/jobs/${owner}` },
    });
    const outcomes = await Promise.allSettled([applyPrune(options("1")), applyPrune(options("2"))]);
    const [won, lost] =
      outcomes[0]!.status === "fulfilled" ? [outcomes[0]!, outcomes[1]!] : [outcomes[1]!, outcomes[0]!];
    expect([won.status, lost.status]).toEqual(["fulfilled", "rejected"]);
    const result = (won as PromiseFulfilledResult<Awaited<ReturnType<typeof applyPrune>>>).value;
    expect(result.deleted.length).toBeGreaterThan(10);
    expect((lost as PromiseRejectedResult).reason).toMatchObject({
      code: "LOCK_HELD",
      message: expect.stringMatching(
        /^the cache memory: is locked by \S+@\S+ pid \d+ \(https:\/\/gitlab\.example\/jobs\/[12]\) since 2026-03-01T00:00:00\.000Z, until 2026-03-01T03:00:00\.000Z: only one janitor run at a time may change a cache\. Wait for it to end\. Nothing was deleted\.$/,
      ),
    });
    // The lock is gone at the end, and the index matches what is left.
    expect(objects.has(LOCK_KEY)).toBe(false);
    const specsLeft = [...objects.keys()].filter((key) => key.endsWith(".spec.json")).length;
    expect(inCache(objects)).toHaveLength(specsLeft);
  });

  it("in a folder: the exclusive create admits one of two runs", async () => {
    const dir = await useTempDir();
    const { objects } = cacheWithOldSpecs();
    for (const [key, object] of objects) {
      await mkdir(join(dir, key, ".."), { recursive: true });
      await writeFile(join(dir, key), object.body);
      await utimes(join(dir, key), object.lastModified / 1000, object.lastModified / 1000);
    }
    const options = { cache: dir, now: NOW, maxAgeDays: 30, force: true };
    const outcomes = await Promise.allSettled([applyPrune(options), applyPrune(options)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(outcomes.find((outcome) => outcome.status === "rejected")).toMatchObject({
      reason: { code: "LOCK_HELD" },
    });
    expect((await planPrune(options)).deletions).toEqual([]);
  });

  it("a live lock is never broken; an expired one only with --break-lock; plan reads it but never takes it", async () => {
    const { objects } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects });
    const held = {
      tool: "spacktainers-janitor",
      owner: "ci@runner-7 pid 41",
      token: "other-run",
      started: "2026-02-28T23:00:00.000Z",
      expires: "2026-03-01T02:00:00.000Z",
    };
    await storage.put(LOCK_KEY, JSON.stringify(held));
    const at = (time: number) => ({
      cache: storage,
      now: NOW,
      maxAgeDays: 30,
      force: true,
      lockClock: () => time,
    });
    const plan = await planPrune(at(NOW.getTime()));
    expect(plan.lock).toEqual(held);
    expect(plan.warnings.find((warning) => warning.code === "CACHE_LOCKED")?.message).toBe(
      "the cache memory: is locked by ci@runner-7 pid 41 since 2026-02-28T23:00:00.000Z, until 2026-03-01T02:00:00.000Z: a janitor run is changing it, and --apply is refused until that run ends.",
    );
    expect(plan.inventory.objects).toBe(objects.size - 1);
    await expect(applyPrune({ ...at(NOW.getTime()), breakLock: true })).rejects.toMatchObject({
      code: "LOCK_HELD",
    });
    await expect(applyPrune(at(NOW.getTime() + 3 * HOUR))).rejects.toMatchObject({
      code: "LOCK_HELD",
      message:
        "the cache memory: is locked by ci@runner-7 pid 41 since 2026-02-28T23:00:00.000Z; the lock expired at 2026-03-01T02:00:00.000Z, so that run probably died. Check that it is not running, then pass --break-lock to take the lock over. Nothing was deleted.",
    });
    expect(JSON.parse(text(objects, LOCK_KEY))).toEqual(held);
    const result = await applyPrune({ ...at(NOW.getTime() + 3 * HOUR), breakLock: true });
    expect(result.deleted.length).toBeGreaterThan(0);
    expect(result.lock.token).not.toBe("other-run");
    expect(objects.has(LOCK_KEY)).toBe(false);
  });

  it("says so when the store ignores conditional writes, and still works", async () => {
    const { objects } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects, ignoreConditionalWrites: true });
    const result = await applyPrune({ cache: storage, now: NOW, maxAgeDays: 30, force: true });
    expect(result.warnings.filter((warning) => warning.code === "LOCK_NOT_EXCLUSIVE")).toEqual([
      {
        file: LOCK_KEY,
        code: "LOCK_NOT_EXCLUSIVE",
        message:
          "the store of memory: ignores conditional writes (a second conditional write of the lock succeeded), so its lock cannot exclude a second run that starts at the same moment; the lock is read back before every change instead. Prefer a store that honours If-None-Match (AWS S3, recent MinIO and Ceph).",
      },
    ]);
    expect(result.deleted.length).toBeGreaterThan(0);
    expect(objects.has(LOCK_KEY)).toBe(false);
  });

  it("stops before its next change when another run takes the lock from under it", async () => {
    const { objects } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects });
    const before = new Set(objects.keys());
    // Another run (a store ignoring conditions, or a --break-lock elsewhere) overwrites the lock
    // while this one reads the cache.
    const stolen: CacheStorage = {
      ...storage,
      async list(onProgress) {
        const listed = await storage.list(onProgress);
        await storage.put(
          LOCK_KEY,
          JSON.stringify({ owner: "thief", token: "t", started: "s", expires: "e" }),
        );
        return listed;
      },
    };
    await expect(applyPrune({ cache: stolen, now: NOW, maxAgeDays: 30, force: true })).rejects.toMatchObject({
      code: "LOCK_LOST",
      message:
        "the lock of memory: is no longer this run's (now held by thief since s): another run writes to the cache at the same time. This run stopped before its next change.",
    });
    // Nothing deleted, and the other run's lock left alone.
    expect(new Set(objects.keys())).toEqual(new Set([...before, LOCK_KEY]));
    expect(JSON.parse(text(objects, LOCK_KEY)).owner).toBe("thief");
  });
});

describe("repairs", () => {
  it("a stale or missing index.json.hash is repaired, even when nothing is to be deleted", async () => {
    const dir = await useTempDir();
    const { objects } = generateV2Cache({ specs: 10, seed: 8, now: NOW, ageDays: 5 });
    objects.set("build_cache/index.json.hash", {
      body: new TextEncoder().encode("0".repeat(64)),
      lastModified: NOW.getTime() - HOUR,
    });
    const storage = createMemoryStorage({ objects });
    const plan = await planPrune({ cache: storage, now: NOW });
    expect([plan.index.hash, plan.deletions]).toEqual(["mismatch", []]);
    const result = await applyPrune({ cache: storage, now: NOW });
    expect(result.index).toEqual({ status: "hash-repaired", written: ["build_cache/index.json.hash"] });
    const sha = createHash("sha256").update(objects.get("build_cache/index.json")!.body).digest("hex");
    expect(text(objects, "build_cache/index.json.hash")).toBe(sha);
    expect((await applyPrune({ cache: storage, now: NOW })).index).toEqual({ status: "unchanged" });

    // In a folder, with the hash missing altogether.
    const local = createLocalStorage(dir);
    for (const [key, object] of objects)
      if (key !== "build_cache/index.json.hash") await local.put(key, object.body);
    expect((await planPrune({ cache: dir, now: NOW })).index.hash).toBe("missing");
    expect((await applyPrune({ cache: dir, now: NOW })).index.status).toBe("hash-repaired");
    expect(await readFile(join(dir, "build_cache/index.json.hash"), "utf8")).toBe(sha);
  });

  it("an interrupted --apply never leaves an index that advertises a deleted spec; the next run finishes", async () => {
    const { objects, specs } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects });
    const full = await planPrune({
      cache: createMemoryStorage({ objects: new Map(objects) }),
      now: NOW,
      maxAgeDays: 30,
    });
    expect(full.deletedSpecs.length).toBeGreaterThan(5);
    // The process dies in the middle of its first delete request: half of the batch is gone.
    let calls = 0;
    const dying: CacheStorage = {
      ...storage,
      async deleteBatch(keys) {
        if (++calls === 1) {
          await storage.deleteBatch(keys.slice(0, Math.floor(keys.length / 2)));
          throw new Error("killed");
        }
        throw new Error("dead");
      },
    };
    await expect(applyPrune({ cache: dying, now: NOW, maxAgeDays: 30, force: true })).rejects.toThrow(
      "killed",
    );
    // No spec in the index has lost an object; the specs about to go are no longer offered.
    const present = (hash: string) => {
      const spec = specs.find((candidate) => candidate.hash === hash)!;
      return objects.has(spec.specKey) && objects.has(spec.tarballKey);
    };
    expect(inCache(objects).filter((hash) => !present(hash))).toEqual([]);
    expect(inCache(objects).filter((hash) => full.deletedSpecs.includes(hash))).toEqual([]);
    // The dead run's lock is still there: the next run takes it over once it has expired.
    expect(objects.has(LOCK_KEY)).toBe(true);
    const resumed = await applyPrune({
      cache: storage,
      now: NOW,
      maxAgeDays: 30,
      force: true,
      breakLock: true,
      lockClock: () => Date.now() + 4 * HOUR,
    });
    expect(resumed.failed).toEqual([]);
    expect(inCache(objects)).toEqual(
      specs
        .filter((spec) => objects.has(spec.specKey))
        .map((spec) => spec.hash)
        .sort(),
    );
    expect(
      specs.filter((spec) => full.deletedSpecs.includes(spec.hash) && objects.has(spec.tarballKey)),
    ).toEqual([]);
  });

  it("the next run finishes an interrupted run's deletions from its journal; a spec protected since is listed again", async () => {
    const { objects } = cacheWithOldSpecs();
    const storage = createMemoryStorage({ objects });
    const dying: CacheStorage = {
      ...storage,
      async deleteBatch() {
        throw new Error("killed before any delete");
      },
    };
    const before = inCache(objects);
    const interrupted = await planPrune({ cache: storage, now: NOW, maxAgeDays: 30 });
    await expect(applyPrune({ cache: dying, now: NOW, maxAgeDays: 30, force: true })).rejects.toThrow(
      "killed before any delete",
    );
    const unpublished = before.filter((hash) => !inCache(objects).includes(hash));
    expect(unpublished).toEqual(interrupted.deletedSpecs);
    expect(JSON.parse(text(objects, PENDING_KEY)).specs).toEqual(interrupted.deletedSpecs);
    objects.delete(LOCK_KEY);

    // Even without the rule that chose them, the next run finishes what was started: their
    // dependents were unpublished with them, and only the journal tells them apart.
    const next = await planPrune({ cache: storage, now: NOW });
    expect(next.deletedSpecs).toEqual(interrupted.deletedSpecs);
    expect(new Set(next.summary.map((row) => row.reason))).toEqual(new Set(["unfinished-run"]));

    // Protection wins over the journal: a spec kept since is whole, so it is listed again.
    const [kept, ...rest] = unpublished;
    const keeplist = join(await useTempDir(), "keep.txt");
    await writeFile(keeplist, `${kept}\n`);
    const plan = await planPrune({ cache: storage, now: NOW, keeplists: [keeplist] });
    expect(plan.republished).toContain(kept);
    const result = await applyPrune({ cache: storage, now: NOW, keeplists: [keeplist], force: true });
    expect(result.index).toMatchObject({ status: "rewritten", republishedSpecs: plan.republished.length });
    expect(inCache(objects)).toContain(kept);
    expect(
      inCache(objects).filter((hash) => rest.includes(hash) && !plan.republished.includes(hash)),
    ).toEqual([]);
    expect(objects.has(PENDING_KEY)).toBe(false);
  });
});
