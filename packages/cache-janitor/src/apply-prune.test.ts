import { describe, expect, it } from "vitest";
import { applyPrune, deleteKeys } from "./apply-prune.js";
import type { CacheStorage, DeleteFailure } from "./storage/cache-storage.js";

/** A storage that records the delete batches it receives and fails some keys a number of times. */
function recordingStorage(failures: Record<string, number> = {}) {
  const events: string[] = [];
  const storage: CacheStorage = {
    location: "test:",
    list: async () => [],
    get: async () => undefined,
    head: async () => undefined,
    put: async () => {},
    create: async () => true,
    async deleteBatch(keys) {
      events.push(`start ${keys[0]}..${keys.at(-1)} (${keys.length})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${keys[0]}`);
      const failed: DeleteFailure[] = [];
      for (const key of keys)
        if ((failures[key] ?? 0) > 0) {
          failures[key]!--;
          failed.push({ key, code: "SlowDown", message: "Please reduce your request rate." });
        }
      return failed;
    },
  };
  return { storage, events };
}

const keys = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);

describe("deleteKeys", () => {
  it("sends ceil(n / 1000) requests, the batches with the first keys finished before the others start", async () => {
    const { storage, events } = recordingStorage();
    const result = await deleteKeys({
      storage,
      keys: [...keys("s", 1500), ...keys("t", 1000)],
      firstCount: 1500,
    });
    expect(events).toEqual([
      "start s0000..s0999 (1000)",
      "start s1000..t0499 (1000)",
      "end s0000",
      "end s1000",
      "start t0500..t0999 (500)",
      "end t0500",
    ]);
    expect([result.deleted.length, result.failed]).toEqual([2500, []]);
  });

  it("retries the keys a batch reported as failed, and returns those that still fail", async () => {
    const { storage, events } = recordingStorage({ a: 1, b: 10 });
    const result = await deleteKeys({ storage, keys: ["a", "b", "c"], retries: 2, retryDelayMs: 1 });
    expect(events).toEqual(["start a..c (3)", "end a", "start a..b (2)", "end a", "start b..b (1)", "end b"]);
    expect(result).toEqual({
      deleted: ["a", "c"],
      failed: [{ key: "b", code: "SlowDown", message: "Please reduce your request rate." }],
    });
  });
});

describe("applyPrune option ranges", () => {
  it("refuses an option out of its range before touching the cache (no lock left behind)", async () => {
    const { storage } = recordingStorage();
    const writes: string[] = [];
    storage.create = async (key) => {
      writes.push(key);
      return true;
    };
    const now = new Date("2026-06-01T00:00:00Z");
    await expect(applyPrune({ cache: storage, now, deleteConcurrency: 0 })).rejects.toThrow(
      "deleteConcurrency takes a whole number ≥ 1, got 0.",
    );
    // The planning concurrency too, before the lock (it was checked only once the lock was held).
    await expect(applyPrune({ cache: storage, now, concurrency: 0 })).rejects.toThrow(
      "concurrency takes a whole number ≥ 1, got 0.",
    );
    await expect(applyPrune({ cache: storage, now, lockTtlMinutes: 0.5 })).rejects.toThrow(
      "lockTtlMinutes takes a number ≥ 1, got 0.5.",
    );
    await expect(applyPrune({ cache: storage, now, maxDeleteFraction: 1.5 })).rejects.toThrow(
      "maxDeleteFraction takes a number between 0 and 1, got 1.5.",
    );
    expect(writes).toEqual([]);
  });
});
