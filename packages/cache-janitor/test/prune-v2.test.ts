import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@spacktainers/core";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { applyPrune, planPrune, type SpackDatabase } from "../src/index.js";
import { fixturePath, writeFixtureCache } from "./fixture-cache.js";
import { deletionLines, listFolders, listTree, NOW, OLD, V019, v2Keys } from "./helpers.js";

const [helloSpec, helloTarball] = v2Keys("fixture-hello-1.0", V019.hello);

async function cache019(options: Parameters<typeof writeFixtureCache>[2] = {}) {
  const dir = await useTempDir();
  await writeFixtureCache("v2-0.19-signed", dir, options);
  return dir;
}

async function indexedNames(dir: string): Promise<string[]> {
  const database = JSON.parse(await readFile(join(dir, "build_cache/index.json"), "utf8")) as SpackDatabase;
  return Object.values(database.database.installs).map(
    (record) => `${record.spec.name}${record.in_buildcache ? "" : " (not in cache)"}`,
  );
}

describe("layout v2 (Spack 0.19 signed cache, local folder)", () => {
  it("finds nothing to delete without rules, and reports the inventory", async () => {
    const plan = await planPrune({ cache: await cache019(), now: NOW });
    expect({ ...plan, location: "<dir>" }).toEqual({
      location: "<dir>",
      layout: "v2",
      now: "2026-03-01T00:00:00.000Z",
      inventory: { objects: 12, bytes: 455475, specs: 4, indexedSpecs: 4 },
      index: { key: "build_cache/index.json", status: "ok", hash: "ok" },
      // Nothing is an orphan and the index matches the listing: no object had to be asked for.
      listing: {
        status: "confirmed",
        indexedButUnlisted: 0,
        tolerance: 50,
        heads: 0,
        foundUnlisted: [],
        confirmedAbsent: [],
        unconfirmed: [],
      },
      deletions: [],
      deletedSpecs: [],
      staleIndexEntries: [],
      republished: [],
      protected: [],
      summary: [],
      totals: { specs: 0, objects: 0, bytes: 0 },
      safety: { deleteFraction: 0, maxDeleteFraction: 0.5, exceeded: false },
      warnings: [],
    });
  });

  it("max-age deletes old specs and, by cascade, their dependents", async () => {
    const dir = await cache019({ mtimes: { [helloSpec]: OLD, [helloTarball]: OLD } });
    const plan = await planPrune({ cache: dir, now: NOW, maxAgeDays: 90 });
    expect(deletionLines(plan)).toEqual([
      "dependency-deleted linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-kbvflog4oalvbnij4rgyqgbhmwzs3wtb.spec.json.sig",
      "max-age linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-s6ogqylmombycmio2go5s7lzhbalbycf.spec.json.sig",
      "dependency-deleted linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-kbvflog4oalvbnij4rgyqgbhmwzs3wtb.spack",
      "max-age linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-s6ogqylmombycmio2go5s7lzhbalbycf.spack",
    ]);
    expect(plan.deletions[0]).toEqual({
      key: "build_cache/linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-kbvflog4oalvbnij4rgyqgbhmwzs3wtb.spec.json.sig",
      size: 2914,
      reason: "dependency-deleted",
      hash: V019.app,
      spec: `fixture-app@2.0/${V019.app}`,
      detail: `depends on fixture-hello@1.0/${V019.hello}`,
    });
    expect(plan.summary).toEqual([
      { reason: "max-age", specs: 1, objects: 2, bytes: 1981 + 3318 },
      { reason: "dependency-deleted", specs: 1, objects: 2, bytes: 2914 + 3892 },
    ]);
    const noCascade = await planPrune({ cache: dir, now: NOW, maxAgeDays: 90, cascade: false });
    expect(noCascade.deletedSpecs).toEqual([V019.hello]);
  });

  it("deletes specs whose package is gone from a repo (old packages/<name>/ layout) or a names file", async () => {
    const dir = await cache019();
    const fromRepo = await planPrune({ cache: dir, now: NOW, packagesFrom: [fixturePath("repos/api-v1")] });
    expect(fromRepo.deletedSpecs).toEqual([V019.zlib, V019.bzip2].sort());
    expect(fromRepo.summary).toEqual([
      { reason: "package-gone", specs: 2, objects: 4, bytes: 3045 + 279736 + 2046 + 151620 },
    ]);
    expect(fromRepo.deletions.find((deletion) => deletion.hash === V019.zlib)?.detail).toBe(
      'no package "zlib" in the package list',
    );
    const names = join(await useTempDir(), "names.txt");
    await writeFile(names, "# packages that still exist\nzlib\nbzip2\nfixture-app\n");
    const fromFile = await planPrune({ cache: dir, now: NOW, packagesFrom: [names] });
    // fixture-hello is gone, so fixture-app, which depends on it, goes too.
    expect(fromFile.summary.map(({ reason, specs }) => [reason, specs])).toEqual([
      ["package-gone", 1],
      ["dependency-deleted", 1],
    ]);
  });

  it("never deletes a spec of a protected lockfile, nor its dependencies, whatever the rule", async () => {
    const dir = await cache019({ mtime: OLD });
    const names = join(await useTempDir(), "names.txt");
    await writeFile(names, "fixture-app\n");
    const plan = await planPrune({
      cache: dir,
      now: NOW,
      maxAgeDays: 30,
      packagesFrom: [names],
      // Spack 0.19 lockfile (version 4) of an environment with zlib, fixture-app and fixture-hello;
      // its bzip2 was concretized differently, so the cache's bzip2 is not protected.
      keepLocks: [fixturePath("locks/0.19.0-env-small.spack.lock")],
      maxDeleteFraction: 1,
    });
    expect(plan.deletedSpecs).toEqual([V019.bzip2]);
    expect(plan.protected).toEqual([
      {
        hash: V019.zlib,
        spec: `zlib@1.2.13/${V019.zlib}`,
        wouldBe: "max-age",
        detail: expect.stringMatching(/^last modified 2025-06-01/),
      },
      {
        hash: V019.app,
        spec: `fixture-app@2.0/${V019.app}`,
        wouldBe: "max-age",
        detail: expect.stringMatching(/^last modified/),
      },
      {
        hash: V019.hello,
        spec: `fixture-hello@1.0/${V019.hello}`,
        wouldBe: "max-age",
        detail: expect.stringMatching(/^last modified/),
      },
    ]);
  });

  it("protects the hashes of a keeplist with their dependencies (from the index)", async () => {
    const dir = await cache019({ mtime: OLD });
    const keeplist = join(await useTempDir(), "keep.txt");
    await writeFile(keeplist, `# Spack keeplist\n/${V019.app}\n`);
    const plan = await planPrune({
      cache: dir,
      now: NOW,
      maxAgeDays: 30,
      keeplists: [keeplist],
      maxDeleteFraction: 1,
    });
    expect(plan.deletedSpecs).toEqual([V019.zlib, V019.bzip2].sort());
    expect(plan.protected.map((kept) => kept.hash)).toEqual([V019.app, V019.hello]);
  });

  it("collects orphans (tarball without spec file and the reverse), except objects younger than the grace period", async () => {
    const strayHash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const [, strayTarball] = v2Keys("stray-1.0", strayHash);
    const [, inFlightTarball] = v2Keys("inflight-2.0", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    const dir = await cache019({
      omit: [helloTarball],
      extra: { [strayTarball]: "stray", [inFlightTarball]: "pushing" },
      mtimes: { [inFlightTarball]: new Date(NOW.getTime() - 10 * 60_000) },
    });
    const plan = await planPrune({ cache: dir, now: NOW });
    expect(deletionLines(plan)).toEqual([
      "orphan-spec-file linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-s6ogqylmombycmio2go5s7lzhbalbycf.spec.json.sig",
      `orphan-tarball linux-debian12-x86_64-gcc-12.2.0-stray-1.0-${strayHash}.spack`,
    ]);
    expect(plan.warnings).toEqual([
      {
        file: plan.location,
        code: "ORPHANS_TOO_RECENT",
        message:
          "1 orphan candidate(s) were modified less than 60 minutes before the run and are kept (pushes may be in flight).",
      },
    ]);
    expect((await planPrune({ cache: dir, now: NOW, orphans: false })).deletions).toEqual([]);
  });

  it("applies: deletes, rewrites index.json and index.json.hash in Spack's format, and a second run is a no-op", async () => {
    const dir = await cache019({ mtimes: { [helloSpec]: OLD, [helloTarball]: OLD } });
    const before = await listTree(dir);
    const result = await applyPrune({ cache: dir, now: NOW, maxAgeDays: 90 });
    expect(result.failed).toEqual([]);
    expect(result.deleted).toEqual(result.plan.deletions.map((deletion) => deletion.key).sort());
    // Written twice: before the deletes without the two specs (unpublished), after them as Spack would.
    expect(result.index).toEqual({
      status: "rewritten",
      removedSpecs: 2,
      republishedSpecs: 0,
      written: [
        "build_cache/index.json",
        "build_cache/index.json.hash",
        "build_cache/index.json",
        "build_cache/index.json.hash",
      ],
      replaced: [],
    });
    expect(await listTree(dir)).toEqual(before.filter((key) => !result.deleted.includes(key)));
    // The tarball folders of deleted specs are gone too.
    expect(await listFolders(dir)).toEqual([
      "build_cache",
      "build_cache/_pgp",
      "build_cache/linux-debian12-x86_64",
      "build_cache/linux-debian12-x86_64/gcc-12.2.0",
      "build_cache/linux-debian12-x86_64/gcc-12.2.0/bzip2-1.0.8",
      "build_cache/linux-debian12-x86_64/gcc-12.2.0/zlib-1.2.13",
    ]);
    const index = await readFile(join(dir, "build_cache/index.json"), "utf8");
    expect(await indexedNames(dir)).toEqual(["diffutils (not in cache)", "bzip2", "zlib"]);
    expect(index.startsWith('{\n  "database": {\n    "version": "6",')).toBe(true);
    expect(await readFile(join(dir, "build_cache/index.json.hash"), "utf8")).toBe(sha256Hex(index));

    const again = await applyPrune({ cache: dir, now: NOW, maxAgeDays: 90 });
    expect([again.plan.deletions, again.deleted, again.index]).toEqual([[], [], { status: "unchanged" }]);
    expect(await readFile(join(dir, "build_cache/index.json"), "utf8")).toBe(index);
  });

  it("with --no-reindex leaves the index alone and says that update-index must run", async () => {
    const dir = await cache019({ mtimes: { [helloSpec]: OLD, [helloTarball]: OLD } });
    const index = await readFile(join(dir, "build_cache/index.json"), "utf8");
    const result = await applyPrune({ cache: dir, now: NOW, maxAgeDays: 90, reindex: false });
    expect(result.index).toEqual({
      status: "skipped",
      removedSpecs: 2,
      message: `the index still lists 2 deleted spec(s): run \`spack buildcache update-index ${result.plan.location}\`.`,
    });
    expect(await readFile(join(dir, "build_cache/index.json"), "utf8")).toBe(index);
  });
});

describe("layout v2 (Spack 0.23 signed cache, local folder)", () => {
  it("protects every spec of the environment's lockfile (version 5)", async () => {
    const dir = await useTempDir();
    await writeFixtureCache("v2-0.23-signed", dir, { mtime: OLD });
    const plan = await planPrune({
      cache: dir,
      now: NOW,
      maxAgeDays: 1,
      keepLocks: [fixturePath("locks/0.23.1-env-small.spack.lock")],
    });
    expect([plan.deletions, plan.protected.map((kept) => kept.spec)]).toEqual([
      [],
      [
        "zlib@1.2.13/23njwcmmq3rzan6pdlhy4o32izhlht3c",
        "fixture-hello@1.0/myp4ublvdmnvsd2er7vcnb4hlr4qbol5",
        "gcc-runtime@12.2.0/tchodvtaqxzufupz6ljb42ud3pbs6vew",
        "fixture-app@2.0/z2lkunv6qnnywqxr6c4ej6uvakxofj7i",
      ],
    ]);
  });

  it("refuses to delete more than --max-delete-fraction without force, and empties the index with force", async () => {
    const dir = await useTempDir();
    await writeFixtureCache("v2-0.23-signed", dir);
    const before = await listTree(dir);
    const options = { cache: dir, now: NOW, packagesFrom: [fixturePath("repos/api-v1")] };
    const error = await applyPrune(options).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "DELETE_FRACTION_EXCEEDED",
      message:
        "the plan deletes 8 of 12 objects (66.7%), more than --max-delete-fraction 0.5. Nothing was deleted. Check the plan (run 'plan --report FILE'), then raise --max-delete-fraction or pass --force.",
    });
    expect(await listTree(dir)).toEqual(before);
    const result = await applyPrune({ ...options, force: true });
    expect(result.plan.summary.map(({ reason, specs }) => [reason, specs])).toEqual([
      ["package-gone", 2],
      ["dependency-deleted", 2],
    ]);
    expect(await listTree(dir)).toEqual([
      "build_cache/_pgp/8B43878C1D722AEA9613A4220ED28ADCC91CA50F.pub",
      "build_cache/_pgp/index.json",
      "build_cache/index.json",
      "build_cache/index.json.hash",
    ]);
    expect(await readFile(join(dir, "build_cache/index.json"), "utf8")).toBe(
      '{"database":{"version":"7","installs":{}}}',
    );
  });
});
