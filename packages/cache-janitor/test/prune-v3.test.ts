import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@spacktainers/core";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { applyPrune, planPrune, type SpackDatabase } from "../src/index.js";
import { fixtureObjects, fixturePath, writeFixtureCache } from "./fixture-cache.js";
import { deletionLines, listTree, NOW, OLD, V102 } from "./helpers.js";

const OLD_INDEX_BLOB = "blobs/sha256/56/56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90";
const INDEX_BLOB = "blobs/sha256/a0/a0f708e7a66658eec911464ac669e2fd8768e5327920892acabd324827074b96";
const ZLIB_TARBALL = "blobs/sha256/85/8542cadb86155acf4919b23902ade6cea626779c5717494ecf1f4575abcdd2a0";
const manifestKey = (name: string, version: string, hash: string) =>
  `v3/manifests/spec/${name}/${name}-${version}-${hash}.spec.manifest.json`;

async function cache(
  name: "v3-1.0-unsigned" | "v3-1.0-signed",
  options: Parameters<typeof writeFixtureCache>[2] = {},
) {
  const dir = await useTempDir();
  await writeFixtureCache(name, dir, options);
  return dir;
}

async function readIndex(dir: string): Promise<{ manifest: string; blob: string; names: string[] }> {
  const manifest = await readFile(join(dir, "v3/manifests/index/index.manifest.json"), "utf8");
  const checksum = JSON.parse(manifest).data[0].checksum as string;
  const blob = await readFile(join(dir, "blobs/sha256", checksum.slice(0, 2), checksum), "utf8");
  const database = JSON.parse(blob) as SpackDatabase;
  return {
    manifest,
    blob,
    names: Object.values(database.database.installs).map(
      (record) => `${record.spec.name}${record.in_buildcache ? "" : " (not in cache)"}`,
    ),
  };
}

describe("layout v3 (Spack 1.0 unsigned cache, local folder)", () => {
  it("detects layout v3 and collects the index blob that an earlier update-index left behind", async () => {
    const plan = await planPrune({ cache: await cache("v3-1.0-unsigned"), now: NOW });
    expect([plan.layout, plan.inventory, plan.index]).toEqual([
      "v3",
      { objects: 19, bytes: 9755835, specs: 5, indexedSpecs: 5 },
      { key: "v3/manifests/index/index.manifest.json", status: "ok" },
    ]);
    expect(plan.deletions).toEqual([
      { key: OLD_INDEX_BLOB, size: 1179, reason: "orphan-blob", detail: "no manifest references it" },
    ]);
  });

  it("deletes the manifests of gone packages (new spack_repo/<ns>/packages/<dir>/ layout) with their blobs", async () => {
    const plan = await planPrune({
      cache: await cache("v3-1.0-unsigned"),
      now: NOW,
      packagesFrom: [fixturePath("repos/api-v2")],
      orphans: false,
    });
    expect(deletionLines(plan)).toEqual([
      "package-gone 194f156e0cc0021df93f8c7084e01ad5a11709613ba20415591c7ebcb9b389f4",
      "package-gone 251bd96b94b7273e1376cd7e01b81a55f2eb67fa5179a23b3cd885f9cf4cc766",
      "package-gone 2722a8dbbb55402f34aeae983d66a0740b2d85921b4151301a64c337281f8e81",
      "package-gone 40b77d73fbe8b3aeea043a503a13b71113e52b05f92e8fdaaea3e4b8250999ae",
      "package-gone 4dec1ac9e75b1ca7126e3e7af95a867c4484116e6ac6dae6b5213b52bdb758df",
      "package-gone 8542cadb86155acf4919b23902ade6cea626779c5717494ecf1f4575abcdd2a0",
      "package-gone compiler-wrapper-1.0-4fghq5ibtjw6ag4knvkpnmu2cdp3bamt.spec.manifest.json",
      "package-gone gcc-runtime-12.2.0-t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp.spec.manifest.json",
      "package-gone zlib-1.2.13-mgowe23us2ms6sm5pk343rbrny3quz7g.spec.manifest.json",
    ]);
    expect(plan.deletedSpecs).toEqual([V102.compilerWrapper, V102.zlib, V102.gccRuntime].sort());
  });

  it("protects the concrete specs of a lockfile version 6 and their dependencies", async () => {
    const dir = await cache("v3-1.0-unsigned", { mtime: OLD });
    const plan = await planPrune({
      cache: dir,
      now: NOW,
      maxAgeDays: 30,
      keepLocks: [fixturePath("locks/1.0.2-env-small.spack.lock")],
    });
    // The lock's zlib was concretized with another hash; only the cache's zlib goes.
    expect(plan.deletedSpecs).toEqual([V102.zlib]);
    expect(plan.protected.map((kept) => `${kept.spec} ${kept.wouldBe}`)).toEqual([
      `compiler-wrapper@1.0/${V102.compilerWrapper} max-age`,
      `fixture-app@2.0/${V102.app} max-age`,
      `fixture-hello@1.0/${V102.hello} max-age`,
      `gcc-runtime@12.2.0/${V102.gccRuntime} max-age`,
    ]);
    expect(deletionLines(plan)).toEqual([
      "max-age 194f156e0cc0021df93f8c7084e01ad5a11709613ba20415591c7ebcb9b389f4",
      "orphan-blob 56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90",
      "max-age 8542cadb86155acf4919b23902ade6cea626779c5717494ecf1f4575abcdd2a0",
      "max-age zlib-1.2.13-mgowe23us2ms6sm5pk343rbrny3quz7g.spec.manifest.json",
    ]);
  });

  it("keeps a blob another manifest still references", async () => {
    // A second spec whose manifest points at fixture-hello's blobs (as identical pushes do).
    const objects = fixtureObjects("v3-1.0-unsigned");
    const helloManifest = objects.get(manifestKey("fixture-hello", "1.0", V102.hello))!;
    const twin = manifestKey("fixture-hello", "1.0", "cccccccccccccccccccccccccccccccc");
    const dir = await cache("v3-1.0-unsigned", { extra: { [twin]: helloManifest } });
    const plan = await planPrune({
      cache: dir,
      now: NOW,
      purgeHashes: [V102.hello.slice(0, 7)],
      orphans: false,
    });
    expect(deletionLines(plan)).toEqual(
      [
        "dependency-deleted fixture-app-2.0-6aiy7iplw5jknw77vopd6nwuexerylxq.spec.manifest.json",
        "purge fixture-hello-1.0-i5frtbpwrwgkdxxet6b7yst27zpo72rn.spec.manifest.json",
        // fixture-app's blobs go; fixture-hello's stay, the twin manifest references them.
        ...[
          "0cc44b2612a924b2e953a5b0b4c35a3e0a7f2c7c54f23e7e003c2173a32d29fb",
          "ffdabdece387e577f496b2572a77126682de46ffca28605af0763d8c4a8d32df",
        ].map((blob) => `dependency-deleted ${blob}`),
      ].sort((a, b) => (a.split(" ")[1]! < b.split(" ")[1]! ? -1 : 1)),
    );
  });

  it("treats a manifest with a missing blob as an orphan, unless protected", async () => {
    const dir = await cache("v3-1.0-unsigned", { omit: [ZLIB_TARBALL] });
    const plan = await planPrune({ cache: dir, now: NOW });
    expect(deletionLines(plan)).toEqual([
      "orphan-manifest 194f156e0cc0021df93f8c7084e01ad5a11709613ba20415591c7ebcb9b389f4",
      "orphan-blob 56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90",
      "orphan-manifest zlib-1.2.13-mgowe23us2ms6sm5pk343rbrny3quz7g.spec.manifest.json",
    ]);
    const keeplist = join(await useTempDir({ "keep.txt": `${V102.zlib}\n` }), "keep.txt");
    const kept = await planPrune({ cache: dir, now: NOW, keeplists: [keeplist] });
    expect([deletionLines(kept), kept.protected]).toEqual([
      ["orphan-blob 56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90"],
      [
        {
          hash: V102.zlib,
          spec: `zlib@1.2.13/${V102.zlib}`,
          wouldBe: "orphan-manifest",
          detail: "some of its blobs are missing",
        },
      ],
    ]);
  });

  it("applies: writes a new index blob and manifest in Spack's exact format, deletes the old blob; second run is a no-op", async () => {
    const dir = await cache("v3-1.0-unsigned");
    const before = await listTree(dir);
    const result = await applyPrune({
      cache: dir,
      now: NOW,
      packagesFrom: [fixturePath("repos/api-v2")],
      maxDeleteFraction: 0.6,
    });
    const index = await readIndex(dir);
    const checksum = sha256Hex(index.blob);
    // Two index writes: before the deletes (the three specs unpublished, their records kept for
    // a resumed run), then Spack's final form. Both blobs it replaced are deleted.
    const unpublished = (result.index as { written: string[] }).written[0]!;
    expect(unpublished).not.toBe(`blobs/sha256/${checksum.slice(0, 2)}/${checksum}`);
    expect(result.index).toEqual({
      status: "rewritten",
      removedSpecs: 3,
      republishedSpecs: 0,
      written: [
        unpublished,
        "v3/manifests/index/index.manifest.json",
        `blobs/sha256/${checksum.slice(0, 2)}/${checksum}`,
        "v3/manifests/index/index.manifest.json",
      ],
      replaced: [INDEX_BLOB, unpublished],
    });
    expect(result.deleted).toContain(unpublished);
    expect(result.failed).toEqual([]);
    expect(index.manifest).toBe(
      `{\n"version":3,\n"data":[\n{\n"contentLength":${Buffer.byteLength(index.blob)},\n"mediaType":"application/vnd.spack.db.v8+json",\n"compression":"none",\n"checksumAlgorithm":"sha256",\n"checksum":"${checksum}"\n}\n]\n}`,
    );
    expect(index.names).toEqual(["fixture-hello", "fixture-app"]);
    expect(
      index.blob.startsWith(
        '{"database":{"version":"8","installs":{"i5frtbpwrwgkdxxet6b7yst27zpo72rn":{"spec":',
      ),
    ).toBe(true);
    expect(await listTree(dir)).toEqual(
      [
        ...before.filter((key) => !result.deleted.includes(key)),
        `blobs/sha256/${checksum.slice(0, 2)}/${checksum}`,
      ].sort(),
    );
    expect(result.deleted).toContain(INDEX_BLOB);
    expect(result.deleted).toContain(OLD_INDEX_BLOB);

    const again = await applyPrune({ cache: dir, now: NOW, packagesFrom: [fixturePath("repos/api-v2")] });
    expect([again.plan.deletions, again.deleted, again.index]).toEqual([[], [], { status: "unchanged" }]);
    expect(await readIndex(dir)).toEqual(index);
  });
});

describe("layout v3 (Spack 1.0 signed cache, local folder)", () => {
  it("reads clearsigned manifests and never deletes signing keys or their blobs, even when every spec goes", async () => {
    const dir = await cache("v3-1.0-signed", { mtime: OLD });
    const result = await applyPrune({ cache: dir, now: NOW, maxAgeDays: 1, force: true });
    expect(result.plan.deletedSpecs).toEqual([V102.app, V102.hello]);
    const index = await readIndex(dir);
    const checksum = sha256Hex(index.blob);
    expect(await listTree(dir)).toEqual(
      [
        `blobs/sha256/${checksum.slice(0, 2)}/${checksum}`,
        "blobs/sha256/33/338214bc69566067006719447856d5f40a24712fe9434185ab420bc703ca7da1",
        "blobs/sha256/f2/f272e36558411e962b5471592cdccdc871df8377dcd84d504e92a867cbf3d15c",
        "v3/layout.json",
        "v3/manifests/index/index.manifest.json",
        "v3/manifests/key/4FB57CE0DC5ABDE4620FAAAE1AAA4359006F9930.key.manifest.json",
        "v3/manifests/key/keys.manifest.json",
      ].sort(),
    );
    expect(index.blob).toBe('{"database":{"version":"8","installs":{}}}');
  });
});
