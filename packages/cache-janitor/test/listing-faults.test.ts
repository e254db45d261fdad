import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import {
  applyPrune,
  type CacheStorage,
  createMemoryStorage,
  type MemoryObject,
  type MemoryStorage,
  planPrune,
  type SpackDatabase,
} from "../src/index.js";
import { NOW } from "./helpers.js";
import { generateV2Cache, generateV3Cache } from "./synthetic-cache.js";

/**
 * A store whose listing omits keys, as s3rver 3.7.1 did past 1,000 keys, and as buggy S3
 * clones, eventually consistent listings and proxies that lose a page do. Every other call
 * (GET, HEAD, PUT, DELETE) answers truthfully.
 */
function omittingListing(
  storage: MemoryStorage,
  omit: (key: string, position: number) => boolean,
): CacheStorage {
  return {
    ...storage,
    async list(onProgress) {
      return (await storage.list(onProgress)).filter((object, position) => !omit(object.key, position));
    },
  };
}

const snapshot = (objects: Map<string, MemoryObject>) =>
  new Map([...objects].map(([key, object]) => [key, new TextDecoder().decode(object.body)]));

function indexedHashes(objects: Map<string, MemoryObject>, key = "build_cache/index.json"): string[] {
  const database = JSON.parse(new TextDecoder().decode(objects.get(key)!.body)) as SpackDatabase;
  return Object.entries(database.database.installs)
    .filter(([, record]) => record.in_buildcache !== false)
    .map(([hash]) => hash)
    .sort();
}

describe("a listing that omits keys", () => {
  it("the reported case: 1,500 specs, 1,029 spec files unlisted — prune --apply stops before any delete", async () => {
    const { objects, specs } = generateV2Cache({ specs: 1500, seed: 12, now: NOW, ageDays: 200 });
    const storage = createMemoryStorage({ objects });
    const hidden = new Set(specs.slice(0, 1029).map((spec) => spec.specKey));
    const lying = omittingListing(storage, (key) => hidden.has(key));
    const lock = join(await useTempDir(), "spack.lock");
    await writeFile(
      lock,
      JSON.stringify({
        _meta: { "file-type": "spack-lockfile", "lockfile-version": 5, "specfile-version": 4 },
        roots: [{ hash: specs[0]!.hash, spec: specs[0]!.name }],
        concrete_specs: {
          [specs[0]!.hash]: {
            name: specs[0]!.name,
            version: specs[0]!.version,
            arch: { platform: "linux", platform_os: "ubuntu22.04", target: "x86_64_v3" },
            compiler: { name: "gcc", version: "12.2.0" },
            hash: specs[0]!.hash,
          },
        },
      }),
    );
    const before = snapshot(objects);
    const options = {
      cache: lying,
      now: NOW,
      maxAgeDays: 30,
      keepLocks: [lock],
      maxDeleteFraction: 0.95,
      force: true,
    };

    const plan = await planPrune(options);
    // Without the check, 1,029 live tarballs were orphans and the index lost their specs.
    expect(plan.listing).toMatchObject({
      status: "incomplete",
      indexedButUnlisted: 1029,
      tolerance: 50,
      // A sample of 20, each asked as .spec.json.sig, then .spec.json (found).
      heads: 40,
    });
    expect(plan.listing.message).toMatch(
      /^the listing of memory: looks incomplete: 20 object\(s\) it lacks exist when asked one by one \(first: build_cache\/\S+\.spec\.json\), and the index lists 1029 spec\(s\) whose spec file the listing lacks \(more than --listing-tolerance 50\); compared the index's 1500 spec\(s\) with the 1974 listed object\(s\)\. Nothing may be deleted on this listing's word\./,
    );
    expect(plan.staleIndexEntries).toEqual([]);
    expect(plan.deletions.filter((deletion) => deletion.reason.startsWith("orphan"))).toEqual([]);

    await expect(applyPrune(options)).rejects.toMatchObject({
      code: "LISTING_INCOMPLETE",
      message: plan.listing.message,
    });
    expect(snapshot(objects)).toEqual(before);
  });

  it("a few unlisted spec files (within the tolerance) are found by HEAD: nothing is deleted", async () => {
    const { objects, specs } = generateV2Cache({ specs: 200, seed: 3, now: NOW, ageDays: 10 });
    const hidden = new Set([specs[5]!.specKey, specs[50]!.specKey, specs[150]!.specKey]);
    const storage = createMemoryStorage({ objects });
    const before = snapshot(objects);
    const lying = omittingListing(storage, (key) => hidden.has(key));
    const plan = await planPrune({ cache: lying, now: NOW });
    expect(plan.listing).toMatchObject({
      status: "incomplete",
      indexedButUnlisted: 3,
      foundUnlisted: [...hidden].sort(),
    });
    await expect(applyPrune({ cache: lying, now: NOW, force: true })).rejects.toMatchObject({
      code: "LISTING_INCOMPLETE",
    });
    expect(snapshot(objects)).toEqual(before);
  });

  it("an unlisted tarball does not make its spec file an orphan; an unlisted page stops the run", async () => {
    const { objects, specs } = generateV2Cache({ specs: 300, seed: 4, now: NOW, ageDays: 10 });
    const storage = createMemoryStorage({ objects });
    const before = snapshot(objects);
    // One tarball missing from the listing: its spec file looks like an orphan (no tarball).
    const oneTarball = omittingListing(storage, (key) => key === specs[7]!.tarballKey);
    const plan = await planPrune({ cache: oneTarball, now: NOW });
    expect([plan.listing.status, plan.listing.foundUnlisted, plan.deletions]).toEqual([
      "incomplete",
      [specs[7]!.tarballKey],
      [],
    ]);
    // A whole page lost (keys 200–399 of the sorted listing): tarballs and spec files alike.
    const lostPage = omittingListing(storage, (_, position) => position >= 200 && position < 400);
    await expect(applyPrune({ cache: lostPage, now: NOW, force: true })).rejects.toMatchObject({
      code: "LISTING_INCOMPLETE",
    });
    expect(snapshot(objects)).toEqual(before);
  });

  it("v3: unlisted manifests (zlib/ beside zlib-ng/) and unlisted blobs stop the run", async () => {
    const { objects } = generateV3Cache({ specs: 300, seed: 5, now: NOW, ageDays: 10, dashedNames: true });
    const storage = createMemoryStorage({ objects });
    const before = snapshot(objects);
    const manifests = [...objects.keys()].filter((key) => key.startsWith("v3/manifests/spec/"));
    const dashed = manifests.filter((key) => key.split("/")[3]!.includes("-"));
    expect(dashed.length).toBeGreaterThan(0);
    // The folders of undashed names listed, their dashed siblings not: their blobs look unreferenced.
    const noDashed = omittingListing(storage, (key) => dashed.includes(key));
    const plan = await planPrune({ cache: noDashed, now: NOW, orphanGraceMinutes: 0 });
    expect(plan.listing.status).toBe("incomplete");
    expect(plan.listing.foundUnlisted[0]).toMatch(/^v3\/manifests\/spec\/pkg\d+-ng\//);
    await expect(
      applyPrune({ cache: noDashed, now: NOW, orphanGraceMinutes: 0, force: true }),
    ).rejects.toMatchObject({ code: "LISTING_INCOMPLETE" });
    // A blob missing from the listing makes its manifest look broken (orphan-manifest).
    const blob = [...objects.keys()].find((key) => key.startsWith("blobs/") && key !== manifests[0])!;
    const noBlob = omittingListing(storage, (key) => key === blob);
    await expect(
      applyPrune({ cache: noBlob, now: NOW, orphanGraceMinutes: 0, force: true }),
    ).rejects.toMatchObject({ code: "LISTING_INCOMPLETE" });
    expect(snapshot(objects)).toEqual(before);
  });

  it("specs that are really gone are confirmed absent one by one, then dropped from the index", async () => {
    const { objects, specs } = generateV2Cache({ specs: 100, seed: 6, now: NOW, ageDays: 10 });
    // Deleted by hand: the index still lists them.
    for (const spec of specs.slice(10, 13)) objects.delete(spec.specKey);
    const storage = createMemoryStorage({ objects });
    const plan = await planPrune({ cache: storage, now: NOW });
    const gone = specs
      .slice(10, 13)
      .map((spec) => spec.hash)
      .sort();
    expect(plan.listing).toMatchObject({ status: "confirmed", indexedButUnlisted: 3, confirmedAbsent: gone });
    expect(plan.staleIndexEntries).toEqual(gone);
    // Their tarballs are orphans: each one's spec file asked for under every suffix Spack uses.
    expect(plan.listing.heads).toBe(3 * 3 + 3 * 3);
    const result = await applyPrune({ cache: storage, now: NOW });
    expect(result.deleted).toEqual(
      specs
        .slice(10, 13)
        .map((spec) => spec.tarballKey)
        .sort(),
    );
    expect(indexedHashes(objects)).toEqual(
      specs
        .map((spec) => spec.hash)
        .filter((hash) => !gone.includes(hash))
        .sort(),
    );
  });

  it("a tolerance of 0 stops on the first index entry the listing lacks, and says how to go on", async () => {
    const { objects, specs } = generateV2Cache({ specs: 30, seed: 7, now: NOW, ageDays: 10 });
    objects.delete(specs[3]!.specKey);
    const plan = await planPrune({ cache: createMemoryStorage({ objects }), now: NOW, listingTolerance: 0 });
    expect(plan.listing.status).toBe("incomplete");
    expect(plan.listing.message).toContain(
      "1 of them, asked one by one, are really gone, so the index may just be stale: if 1 missing spec(s) is plausible, run again with --listing-tolerance 1",
    );
  });
});
