import { describe, expect, it } from "vitest";
import {
  applyPrune,
  type CacheStorage,
  createMemoryStorage,
  LOCK_KEY,
  type MemoryObject,
  type MemoryStorage,
  PENDING_KEY,
  planPrune,
  type SpackDatabase,
} from "../src/index.js";
import { NOW } from "./helpers.js";
import { createRandom, generateV2Cache, generateV3Cache } from "./synthetic-cache.js";

const RUNS = 1000;
const HOUR = 3_600_000;

type Fault = {
  /** Keys the listing leaves out (by key, or by position in the sorted listing). */
  omit?: (key: string, position: number) => boolean;
  /** The process dies at this mutating request (put, conditional create, delete batch). */
  killAt?: number;
  /** A put that dies has written its object first (the answer was lost). */
  writtenBeforeDeath?: boolean;
  /** A delete batch that dies has deleted this fraction of its keys first. */
  deletedBeforeDeath?: number;
};

/**
 * A storage with faults: a listing that omits keys or loses a page, and a process that dies in
 * the middle of a request, after which every request fails (a dead process sends nothing).
 */
function faultyStorage(base: MemoryStorage, fault: Fault): CacheStorage {
  let requests = 0;
  let dead = false;
  const alive = () => {
    if (dead) throw new Error("dead");
  };
  const mutate = async <T>(run: () => Promise<T>, partly: () => Promise<unknown>): Promise<T> => {
    alive();
    if (fault.killAt !== undefined && ++requests > fault.killAt) {
      dead = true;
      await partly();
      throw new Error("killed");
    }
    return run();
  };
  return {
    location: base.location,
    async list(onProgress) {
      alive();
      const listed = await base.list(onProgress);
      return fault.omit ? listed.filter((object, position) => !fault.omit!(object.key, position)) : listed;
    },
    async get(key) {
      alive();
      return base.get(key);
    },
    async head(key) {
      alive();
      return base.head(key);
    },
    put: (key, body, type) =>
      mutate(
        () => base.put(key, body, type),
        async () => fault.writtenBeforeDeath && base.put(key, body, type),
      ),
    create: (key, body, type) =>
      mutate(
        () => base.create(key, body, type),
        async () => fault.writtenBeforeDeath && base.create(key, body, type),
      ),
    deleteBatch: (keys) =>
      mutate(
        () => base.deleteBatch(keys),
        () => base.deleteBatch(keys.slice(0, Math.floor(keys.length * (fault.deletedBeforeDeath ?? 0)))),
      ),
  };
}

const clone = (objects: Map<string, MemoryObject>) =>
  new Map([...objects].map(([key, value]) => [key, value]));

/** Keys that are not the index or the janitor's own: what a prune may delete. */
const isContent = (key: string) =>
  key !== LOCK_KEY &&
  key !== PENDING_KEY &&
  !key.startsWith("build_cache/index.json") &&
  key !== "v3/manifests/index/index.manifest.json";

type Spec = { hash: string; keys: string[]; specKey: string };

/** v3: the key of the index blob the index manifest points at. */
function indexBlobKey(objects: Map<string, MemoryObject>): string {
  const manifest = JSON.parse(
    new TextDecoder().decode(objects.get("v3/manifests/index/index.manifest.json")!.body),
  ) as { data: Array<{ checksum: string }> };
  const checksum = manifest.data[0]!.checksum;
  return `blobs/sha256/${checksum.slice(0, 2)}/${checksum}`;
}

/** The specs the index offers as in the cache. */
function offered(objects: Map<string, MemoryObject>, layout: "v2" | "v3"): string[] {
  const text = new TextDecoder().decode(
    objects.get(layout === "v2" ? "build_cache/index.json" : indexBlobKey(objects))!.body,
  );
  const database = JSON.parse(text) as SpackDatabase;
  return Object.entries(database.database.installs)
    .filter(([, record]) => record.in_buildcache !== false)
    .map(([hash]) => hash)
    .sort();
}

/** Every spec with the keys of its objects (v2: spec file and tarball; v3: manifest and blobs). */
function specsOf(objects: Map<string, MemoryObject>, layout: "v2" | "v3"): Spec[] {
  const specs = new Map<string, Spec>();
  for (const [key, object] of objects) {
    const v2 = /^build_cache\/(?:.*\/)?[^/]*-([a-z2-7]{32})\.(spec\.json|spack)$/.exec(key);
    const v3 = /^v3\/manifests\/spec\/.*-([a-z2-7]{32})\.spec\.manifest\.json$/.exec(key);
    const hash = layout === "v2" ? v2?.[1] : v3?.[1];
    if (!hash) continue;
    const spec = specs.get(hash) ?? { hash, keys: [], specKey: "" };
    specs.set(hash, spec);
    spec.keys.push(key);
    if (key.endsWith(".spec.json") || key.endsWith(".manifest.json")) {
      spec.specKey = key;
      if (layout === "v3") {
        const manifest = JSON.parse(new TextDecoder().decode(object.body)) as {
          data: Array<{ checksum: string }>;
        };
        for (const { checksum } of manifest.data)
          spec.keys.push(`blobs/sha256/${checksum.slice(0, 2)}/${checksum}`);
      }
    }
  }
  return [...specs.values()];
}

describe("property: faults, interruptions and resumed runs", () => {
  it(`never deletes what a clean run would keep, never offers a spec with a missing object, and converges (${RUNS} random caches)`, async () => {
    const tally = { stopped: 0, killed: 0, completed: 0, listingFaults: 0 };
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = createRandom(seed * 104_729);
      const layout = random() < 0.65 ? "v2" : "v3";
      const size = 8 + Math.floor(random() * 30);
      const objects =
        layout === "v2"
          ? generateV2Cache({ specs: size, seed, now: NOW, ageDays: 200 }).objects
          : generateV3Cache({ specs: size, seed, now: NOW, ageDays: 200, dashedNames: random() < 0.5 })
              .objects;
      // Orphans, as real caches have them.
      const indexBlob = layout === "v3" ? indexBlobKey(objects) : "";
      for (const key of [...objects.keys()]) {
        if (!isContent(key) || key === "v3/layout.json" || key.includes("_pgp") || key === indexBlob)
          continue;
        if (random() < 0.03) objects.delete(key);
      }
      const initial = specsOf(objects, layout);
      const keepHashes = initial.filter(() => random() < 0.1).map((spec) => spec.hash);
      const options = {
        now: NOW,
        maxAgeDays: 30 + Math.floor(random() * 170),
        cascade: random() < 0.7,
        keepHashes,
        orphanGraceMinutes: random() < 0.5 ? 0 : 60,
        force: true,
        retryDelayMs: 0,
      };

      // What a clean run would do.
      const cleanObjects = clone(objects);
      const reference = await planPrune({
        ...options,
        cache: createMemoryStorage({ objects: clone(objects) }),
      });
      await applyPrune({ ...options, cache: createMemoryStorage({ objects: cleanObjects }) });
      const allowed = new Set(reference.deletions.map((deletion) => deletion.key));
      // v3: the index blob in place before the run is replaced by any run that rewrites the index.
      if (layout === "v3") allowed.add(indexBlobKey(objects));
      const protectedKeys = new Set(
        initial.filter((spec) => keepHashes.includes(spec.hash)).flatMap((spec) => spec.keys),
      );
      const indexedBefore = new Set(offered(objects, layout));

      // The same run with faults.
      const fault: Fault = {};
      const roll = random();
      if (roll < 0.35) {
        const rate = 0.02 + random() * 0.2;
        fault.omit = () => random() < rate;
      } else if (roll < 0.5) {
        const start = Math.floor(random() * objects.size);
        const length = 1 + Math.floor(random() * 20);
        fault.omit = (_, position) => position >= start && position < start + length;
      }
      if (fault.omit) tally.listingFaults++;
      if (random() < 0.7) {
        fault.killAt = Math.floor(random() * 10);
        fault.writtenBeforeDeath = random() < 0.5;
        fault.deletedBeforeDeath = random();
      }
      const storage = createMemoryStorage({ objects });
      const before = new Set(objects.keys());
      const check = (stage: string) => {
        const deleted = [...before].filter((key) => !objects.has(key) && isContent(key));
        // Nothing a clean run would keep is deleted; protected specs keep every object.
        expect({ seed, stage, unplanned: deleted.filter((key) => !allowed.has(key)) }).toEqual({
          seed,
          stage,
          unplanned: [],
        });
        expect({ seed, stage, lost: deleted.filter((key) => protectedKeys.has(key)) }).toEqual({
          seed,
          stage,
          lost: [],
        });
        // The index never offers a spec with a missing object (protected half-specs aside: kept as found).
        const present = new Map(specsOf(objects, layout).map((spec) => [spec.hash, spec]));
        const broken = offered(objects, layout).filter((hash) => {
          const spec = initial.find((candidate) => candidate.hash === hash);
          if (!spec || keepHashes.includes(hash)) return false;
          const wasWhole = spec.keys.every((key) => before.has(key));
          return wasWhole && !spec.keys.every((key) => objects.has(key)) && present.has(hash);
        });
        expect({ seed, stage, broken }).toEqual({ seed, stage, broken: [] });
      };
      try {
        await applyPrune({ ...options, cache: faultyStorage(storage, fault) });
        tally.completed++;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code) tally.stopped++;
        else tally.killed++;
        expect({ seed, error: code ?? (error as Error).message }).toMatchObject({
          seed,
          error: expect.stringMatching(
            /^(LISTING_INCOMPLETE|CACHE_NOT_FOUND|INDEX_UNREADABLE|INDEX_MISSING|killed|dead)$/,
          ),
        });
      }
      check("faulty run");

      // Resumed: a clean listing, the dead run's lock taken over once it has expired.
      await applyPrune({
        ...options,
        cache: storage,
        breakLock: true,
        lockClock: () => Date.now() + 4 * HOUR,
      });
      check("resumed run");
      // Converged: the same objects as the clean run, and an index that offers exactly the
      // specs whose spec file or manifest is there.
      // (Index blobs a dead run wrote and never pointed at are younger than the grace period:
      // a later run collects them.)
      const contentKeys = (map: Map<string, MemoryObject>) =>
        [...map]
          .filter(
            ([key, object]) =>
              isContent(key) &&
              object.lastModified <= NOW.getTime() &&
              (layout === "v2" || key !== indexBlobKey(map)),
          )
          .map(([key]) => key)
          .sort();
      expect({ seed, keys: contentKeys(objects) }).toEqual({ seed, keys: contentKeys(cleanObjects) });
      const indexText = (map: Map<string, MemoryObject>) =>
        new TextDecoder().decode(
          map.get(layout === "v2" ? "build_cache/index.json" : indexBlobKey(map))!.body,
        );
      expect({ seed, index: indexText(objects) }).toEqual({ seed, index: indexText(cleanObjects) });
      expect({ seed, offered: offered(objects, layout) }).toEqual({
        seed,
        offered: offered(cleanObjects, layout),
      });
      const withSpecFile = specsOf(objects, layout)
        .filter((spec) => spec.specKey && objects.has(spec.specKey) && indexedBefore.has(spec.hash))
        .map((spec) => spec.hash)
        .sort();
      expect({ seed, offered: offered(objects, layout) }).toEqual({ seed, offered: withSpecFile });
      expect([objects.has(LOCK_KEY), objects.has(PENDING_KEY)]).toEqual([false, false]);
    }
    // The faults really happened.
    expect(tally.listingFaults).toBeGreaterThan(RUNS / 3);
    expect(tally.killed).toBeGreaterThan(RUNS / 4);
    expect(tally.stopped).toBeGreaterThan(RUNS / 10);
    expect(tally.completed).toBeGreaterThan(RUNS / 20);
  }, 300_000);
});
