import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { applyPrune, planPrune } from "../src/index.js";
import { fixturePath, memoryFixtureCache, writeFixtureCache } from "./fixture-cache.js";
import { listTree, NOW, OLD, V019, V102, v2Keys } from "./helpers.js";

const [helloSpec, helloTarball] = v2Keys("fixture-hello-1.0", V019.hello);
const [zlibSpec] = v2Keys("zlib-1.2.13", V019.zlib);

describe("safety", () => {
  it("refuses without a readable index unless told otherwise", async () => {
    const missing = await useTempDir();
    await writeFixtureCache("v2-0.19-signed", missing, { omit: ["build_cache/index.json"] });
    await expect(planPrune({ cache: missing, now: NOW })).rejects.toMatchObject({
      code: "INDEX_MISSING",
      message: expect.stringMatching(
        /^the index build_cache\/index\.json of file:\/\/\S+ is missing\. Without it the dependencies between specs are unknown, so dependents and protected dependencies cannot be found\. Run `spack buildcache update-index` first, or pass --allow-missing-index\.$/,
      ),
    });
    const garbled = await useTempDir();
    await writeFixtureCache("v2-0.19-signed", garbled, {
      extra: { "build_cache/index.json": '{"database": ' },
    });
    await expect(planPrune({ cache: garbled, now: NOW })).rejects.toMatchObject({ code: "INDEX_UNREADABLE" });
    const v3 = memoryFixtureCache("v3-1.0-unsigned", {
      omit: ["blobs/sha256/a0/a0f708e7a66658eec911464ac669e2fd8768e5327920892acabd324827074b96"],
    });
    await expect(planPrune({ cache: v3, now: NOW })).rejects.toMatchObject({
      code: "INDEX_UNREADABLE",
      message: expect.stringContaining(
        "is unreadable (its blob blobs/sha256/a0/a0f708e7a66658eec911464ac669e2fd8768e5327920892acabd324827074b96 is missing)",
      ),
    });
    // Told otherwise: the plan works from the keys alone, and the index is left for Spack to rebuild.
    const plan = await applyPrune({
      cache: missing,
      now: NOW,
      purgeHashes: [V019.hello],
      allowMissingIndex: true,
    });
    expect([plan.plan.deletedSpecs, plan.index]).toEqual([
      [V019.hello],
      {
        status: "skipped",
        removedSpecs: 1,
        message: `the index is missing, so it was not rewritten: run \`spack buildcache update-index ${plan.plan.location}\`.`,
      },
    ]);
  });

  it("refuses a folder that holds no build cache", async () => {
    const dir = await useTempDir({ "README.md": "not a cache" });
    await expect(planPrune({ cache: dir, now: NOW })).rejects.toMatchObject({
      code: "CACHE_NOT_FOUND",
      exitCode: 2,
      message: expect.stringMatching(
        /found neither v3\/layout\.json \(layout v3\) nor build_cache\/ \(layout v2\) among 1 objects/,
      ),
    });
  });

  it("never deletes signing keys or objects it does not recognise", async () => {
    const storage = memoryFixtureCache("v2-0.19-signed", {
      mtime: OLD,
      extra: {
        "build_cache/_pgp/0000000000000000000000000000000000000000.pub": "old key",
        "build_cache/notes.txt": "hand-written",
        [`build_cache/_pgp/linux-x-${"d".repeat(32)}.spack`]: "looks like a tarball",
      },
    });
    const result = await applyPrune({ cache: storage, now: NOW, maxAgeDays: 0, force: true });
    expect([...storage.objects.keys()].sort()).toEqual([
      "build_cache/_pgp/0000000000000000000000000000000000000000.pub",
      "build_cache/_pgp/6B09A0A6FFA8EAFB9585EE5588E4C2399FDD89F1.pub",
      "build_cache/_pgp/index.json",
      `build_cache/_pgp/linux-x-${"d".repeat(32)}.spack`,
      "build_cache/index.json",
      "build_cache/index.json.hash",
      "build_cache/notes.txt",
    ]);
    expect(result.warnings.map((warning) => warning.code)).toEqual(["UNKNOWN_KEYS"]);
  });

  it("reports every problem of the protection files at once, located", async () => {
    const dir = await useTempDir({
      "bad.lock": '{\n  "concrete_specs": {\n    "x": 1,\n  }\n}\n',
      "not-a-lock.json": '{"roots": []}',
      "keep.txt": `${V019.zlib}\nnot-a-hash\n`,
    });
    const error = await planPrune({
      cache: memoryFixtureCache("v2-0.19-signed"),
      now: NOW,
      keepLocks: [join(dir, "bad.lock"), join(dir, "not-a-lock.json"), join(dir, "missing.lock")],
      keeplists: [join(dir, "keep.txt")],
    }).then(
      () => ({ problems: [] }),
      (caught: unknown) => caught as Error & { problems: unknown[] },
    );
    expect(error.problems).toEqual([
      // Lockfiles are parsed by core's parseSpackLock.
      {
        file: join(dir, "bad.lock"),
        line: 4,
        col: 3,
        code: "LOCK_NOT_JSON",
        message:
          "not a Spack lockfile: the file is not valid JSON (Expected double-quoted property name in JSON at position 38)",
        hint: "give the spack.lock written by `spack concretize`",
      },
      {
        file: join(dir, "not-a-lock.json"),
        line: 1,
        col: 1,
        code: "LOCK_NOT_LOCKFILE",
        message: "not a Spack lockfile: it has neither `_meta` nor `concrete_specs`",
        hint: "give the spack.lock written by `spack concretize`",
      },
      {
        file: join(dir, "missing.lock"),
        code: "LOCK_UNREADABLE",
        message: expect.stringMatching(/^cannot read the lockfile: ENOENT/),
      },
      {
        file: join(dir, "keep.txt"),
        line: 2,
        col: 1,
        code: "KEEPLIST_INVALID",
        message: '"not-a-hash" is not a Spack hash (32 characters a-z, 2-7).',
      },
    ]);
  });

  it("refuses an empty package list: it would delete every spec", async () => {
    const dir = await useTempDir({
      "empty-repo/repo.yaml": "repo:\n  namespace: empty\n",
      "names.txt": "# nothing\n",
    });
    await expect(
      planPrune({
        cache: memoryFixtureCache("v2-0.19-signed"),
        now: NOW,
        packagesFrom: [join(dir, "empty-repo"), join(dir, "names.txt")],
      }),
    ).rejects.toMatchObject({
      code: "PACKAGES_INVALID",
      problems: [
        { file: join(dir, "empty-repo"), code: "PACKAGES_EMPTY" },
        { file: join(dir, "names.txt"), code: "PACKAGES_EMPTY", message: "the file lists no package name." },
      ],
    });
  });

  it("checks the per-key errors of a delete, retries them, and reports the keys that still fail", async () => {
    const [, zlibTarball] = v2Keys("zlib-1.2.13", V019.zlib);
    const storage = memoryFixtureCache("v2-0.19-signed", {
      mtimes: { [helloSpec]: OLD, [helloTarball]: OLD, [zlibSpec]: OLD, [zlibTarball]: OLD },
    });
    const attempts = new Map<string, number>();
    const faulty = {
      ...storage,
      async deleteBatch(keys: readonly string[]) {
        for (const key of keys) attempts.set(key, (attempts.get(key) ?? 0) + 1);
        // The tarball of fixture-hello fails once (transient); zlib's spec file always fails.
        const failures = keys
          .filter((key) => (key === helloTarball && attempts.get(key) === 1) || key === zlibSpec)
          .map((key) => ({ key, code: "AccessDenied", message: "Access Denied" }));
        const failed = new Set(failures.map((failure) => failure.key));
        await storage.deleteBatch(keys.filter((key) => !failed.has(key)));
        return failures;
      },
    };
    const result = await applyPrune({ cache: faulty, now: NOW, maxAgeDays: 90, retryDelayMs: 1 });
    expect(result.plan.deletedSpecs).toEqual([V019.zlib, V019.app, V019.hello].sort());
    // zlib's tarball is kept with its spec file: a spec whose spec file stays must stay whole.
    expect(result.failed).toEqual([
      { key: zlibSpec, code: "AccessDenied", message: "Access Denied" },
      {
        key: zlibTarball,
        code: "SpecKept",
        message: `kept: the spec file or manifest of zlib@1.2.13/${V019.zlib} could not be deleted`,
      },
    ]);
    expect([attempts.get(helloTarball), attempts.get(zlibSpec), attempts.get(zlibTarball)]).toEqual([
      2,
      4,
      undefined,
    ]);
    expect(result.deleted).toEqual(
      result.plan.deletions
        .map((deletion) => deletion.key)
        .filter((key) => key !== zlibSpec && key !== zlibTarball),
    );
    expect(storage.objects.has(zlibTarball)).toBe(true);
    // zlib's spec file is still there, so the rewritten index still lists zlib.
    expect(result.index).toMatchObject({ status: "rewritten", removedSpecs: 2 });
    const index = JSON.parse(new TextDecoder().decode(storage.objects.get("build_cache/index.json")!.body));
    expect(Object.keys(index.database.installs)).toEqual([
      "yw7qzafovaz7nqjabqqceou732slpiql",
      V019.bzip2,
      V019.zlib,
    ]);
  });

  it("never treats objects newer than the run's start as orphans (v3 blobs pushed before their manifest)", async () => {
    const pushing = `blobs/sha256/ee/${"e".repeat(64)}`;
    const storage = memoryFixtureCache("v3-1.0-unsigned", {
      extra: { [pushing]: "tarball being pushed" },
      mtimes: { [pushing]: new Date(NOW.getTime() + 1000) },
    });
    const plan = await planPrune({ cache: storage, now: NOW, orphanGraceMinutes: 0 });
    expect(plan.deletions.map((deletion) => deletion.key)).toEqual([
      "blobs/sha256/56/56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90",
    ]);
  });

  it("keeps a protected spec's dependencies even when the lockfile does not list them (closure over the index)", async () => {
    const keep = join(await useTempDir(), "keep.txt");
    await writeFile(keep, `${V102.app}\n`);
    const plan = await planPrune({
      cache: memoryFixtureCache("v3-1.0-unsigned"),
      now: NOW,
      purgeHashes: [V102.hello],
      keeplists: [keep],
    });
    expect([plan.deletedSpecs, plan.protected.map((kept) => kept.hash)]).toEqual([[], [V102.hello]]);
  });

  it("packages-from also reads a package repo given at its spack_repo/<namespace> folder", async () => {
    const plan = await planPrune({
      cache: memoryFixtureCache("v3-1.0-unsigned"),
      now: NOW,
      packagesFrom: [fixturePath("repos/api-v2/spack_repo/fixtures")],
      orphans: false,
    });
    expect(plan.deletedSpecs).toEqual([V102.compilerWrapper, V102.zlib, V102.gccRuntime].sort());
    void listTree;
  });
});
