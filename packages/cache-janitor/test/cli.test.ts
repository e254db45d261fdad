import { execFileSync } from "node:child_process";
import { readFile, utimes } from "node:fs/promises";
import { join } from "node:path";
import { runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it, onTestFinished } from "vitest";
import { fixturePath, writeFixtureCache } from "./fixture-cache.js";
import { listTree, NOW, OLD, V019, v2Keys } from "./helpers.js";

const [helloSpec, helloTarball] = v2Keys("fixture-hello-1.0", V019.hello);
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
const janitor = (args: string[]) => runBin("cache-janitor", args, { env, cleanEnv: true });

async function cacheDir() {
  const dir = await useTempDir();
  await writeFixtureCache("v2-0.19-signed", join(dir, "cache"), {
    mtimes: { [helloSpec]: OLD, [helloTarball]: OLD },
  });
  return dir;
}

describe("spacktainers-janitor", () => {
  it("plan: a table per reason on stderr, the plan as JSON on stdout and in --report", async () => {
    const dir = await cacheDir();
    const report = join(dir, "out/report.json");
    const run = await janitor([
      "plan",
      "--cache",
      `file://${dir}/cache`,
      "--max-age",
      "90",
      "--now",
      NOW.toISOString(),
      "--keep-lock",
      fixturePath("locks/0.23.1-env-small.spack.lock"),
      "--report",
      report,
      "--json",
    ]);
    expect([run.code, run.stderr.replaceAll(dir, "<dir>")]).toEqual([
      0,
      `Build cache file://<dir>/cache (layout v2): 12 objects, 444.8 KiB, 4 specs; index ok.
reason              specs  objects     bytes
max-age                 1        2   5.2 KiB
dependency-deleted      1        2   6.6 KiB
total                   2        4  11.8 KiB
That is 33.3% of the objects.
Dry run: nothing deleted. Run 'spacktainers-janitor prune --apply' with the same options to delete.
`,
    ]);
    const plan = JSON.parse(run.stdout);
    expect(JSON.parse(await readFile(report, "utf8"))).toEqual(plan);
    expect(
      plan.deletions.map((deletion: { key: string; reason: string }) => [
        deletion.reason,
        deletion.key.split("/").pop(),
      ]),
    ).toEqual([
      ["dependency-deleted", `linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-${V019.app}.spec.json.sig`],
      ["max-age", `linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-${V019.hello}.spec.json.sig`],
      ["dependency-deleted", `linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-${V019.app}.spack`],
      ["max-age", `linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-${V019.hello}.spack`],
    ]);
  });

  it("prune --apply deletes and rewrites the index; the second run has nothing to do", async () => {
    const dir = await cacheDir();
    const args = [
      "prune",
      "--cache",
      join(dir, "cache"),
      "--max-age",
      "90",
      "--now",
      NOW.toISOString(),
      "--apply",
    ];
    const first = await janitor(args);
    expect([first.code, first.stderr.split("\n").slice(-3)]).toEqual([
      0,
      [
        "Deleted 4 object(s).",
        "Index rewritten without 2 deleted spec(s) (unpublished before the deletes, final after): build_cache/index.json, build_cache/index.json.hash.",
        "",
      ],
    ]);
    const second = await janitor(args);
    expect([second.code, second.stderr.replaceAll(dir, "<dir>")]).toEqual([
      0,
      "Build cache file://<dir>/cache (layout v2): 8 objects, 431.1 KiB, 2 specs; index ok.\nNothing to delete.\nDeleted 0 object(s).\n",
    ]);
  });

  it("refuses beyond --max-delete-fraction (exit 1, nothing deleted) and without an index", async () => {
    const dir = await cacheDir();
    const before = await listTree(join(dir, "cache"));
    const refused = await janitor([
      "prune",
      "--cache",
      join(dir, "cache"),
      "--max-age",
      "0",
      "--now",
      NOW.toISOString(),
      "--apply",
    ]);
    expect([refused.code, refused.stderr.split("\n").at(-2)]).toEqual([
      1,
      "spacktainers-janitor: error: the plan deletes 8 of 12 objects (66.7%), more than --max-delete-fraction 0.5. Nothing was deleted. Check the plan (run 'plan --report FILE'), then raise --max-delete-fraction or pass --force.",
    ]);
    expect(await listTree(join(dir, "cache"))).toEqual(before);
    const empty = await useTempDir({ "build_cache/x.txt": "" });
    const noIndex = await janitor(["plan", "--cache", empty]);
    expect([noIndex.code, noIndex.stderr.replaceAll(empty, "<dir>")]).toEqual([
      1,
      "spacktainers-janitor: error: the index build_cache/index.json of file://<dir> is missing. Without it the dependencies between specs are unknown, so dependents and protected dependencies cannot be found. Run `spack buildcache update-index` first, or pass --allow-missing-index.\n",
    ]);
  });

  it("rejects bad usage with exit 2", async () => {
    expect(await janitor(["plan", "--cache", "/x", "--max-age", "soon"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'spacktainers-janitor: error: --max-age: takes a duration in days (a number ≥ 0; or with a unit: 45s, 15m, 2h, 7d), got "soon"\n',
    });
    expect((await janitor(["purge", "--cache", "/x"])).stderr).toBe(
      "spacktainers-janitor: error: --hash is required: name at least one spec\n",
    );
    // Every problem at once, before any request: no delete workers, a fraction above 1, no cache.
    const many = await janitor(["prune", "--apply", "--concurrency", "0", "--max-delete-fraction", "2"]);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('--concurrency: takes a whole number ≥ 1, got "0"');
    expect(many.stderr).toContain('--max-delete-fraction: takes a number between 0 and 1, got "2"');
    expect(many.stderr).toContain("--cache (or SPACK_BUILDCACHE_URL) is required");
    expect((await janitor(["plan", "--cache", "gs://bucket"])).code).toBe(2);
  });

  const canMakeImmutable = (() => {
    try {
      execFileSync("chattr", ["--help"], { stdio: "ignore" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    }
    return process.getuid?.() === 0;
  })();

  it.skipIf(!canMakeImmutable)("exits 3 and lists the keys that could not be deleted", async () => {
    const dir = await cacheDir();
    const stuck = join(dir, "cache", helloTarball);
    execFileSync("chattr", ["+i", stuck]);
    onTestFinished(() => {
      execFileSync("chattr", ["-i", stuck]);
    });
    const run = await janitor([
      "prune",
      "--cache",
      join(dir, "cache"),
      "--max-age",
      "90",
      "--now",
      NOW.toISOString(),
      "--apply",
    ]);
    expect([run.code, run.stderr.split("\n").slice(-5)]).toEqual([
      3,
      [
        "Deleted 3 object(s).",
        "Index rewritten without 2 deleted spec(s) (unpublished before the deletes, final after): build_cache/index.json, build_cache/index.json.hash.",
        "1 object(s) could not be deleted after retries:",
        `  ${helloTarball}: EPERM EPERM: operation not permitted, unlink '${stuck}'`,
        "",
      ],
    ]);
  });
});

describe("progress", () => {
  it("draws a progress line on stderr only when it is a terminal", async () => {
    const { runCli } = await import("@spacktainers/core");
    const { cli } = await import("../src/cli.js");
    const dir = await cacheDir();
    const run = async (isTTY: boolean) => {
      let stderr = "";
      const code = await runCli(cli, ["orphans", "--cache", join(dir, "cache"), "--now", NOW.toISOString()], {
        stdout: { write: () => true },
        stderr: { write: (text: string) => (stderr += text), isTTY },
        env: {},
        cwd: dir,
      });
      return { code, progress: stderr.split("\n").filter((line) => line.includes("listing")) };
    };
    expect(await run(false)).toEqual({ code: 0, progress: [] });
    expect(await run(true)).toEqual({
      code: 0,
      progress: ["listing [##############################] 12/12"],
    });
  });
});

describe("sifs", () => {
  const SIFS = [
    "app__1.0.sif",
    "app__1.0-arm64.sif",
    "app__1.0__feature-x.sif",
    "app__1.0__gone.sif",
    "app__1.0__gone-arm64.sif",
    "tools__22.04__amd64.sif",
    "tools__22.04__gone__amd64.sif",
  ];

  async function sifBucket() {
    const dir = await useTempDir(
      Object.fromEntries(SIFS.map((name) => [`bucket/containers/${name}`, `sif ${name}`])),
    );
    for (const name of SIFS) await utimes(join(dir, "bucket/containers", name), OLD, OLD);
    return dir;
  }

  it("plans by default, deletes with --apply only the Spack SIFs of gone branches", async () => {
    const dir = await sifBucket();
    const args = [
      "sifs",
      "--bucket",
      join(dir, "bucket"),
      "--live-branch",
      "main",
      "--live-branch",
      "feature-x",
    ];
    const dry = await janitor([...args, "--now", NOW.toISOString()]);
    expect([dry.code, dry.stderr.replaceAll(dir, "<dir>")]).toEqual([
      0,
      [
        "7 SIFs in file://<dir>/bucket/containers/; 2 live branches and tags; would delete 2, kept 5 (3 prod, 1 custom, 1 live-ref).",
        "  would delete: file://<dir>/bucket/containers/app__1.0__gone-arm64.sif (branch gone is gone)",
        "  would delete: file://<dir>/bucket/containers/app__1.0__gone.sif (branch gone is gone)",
        "Dry run: nothing deleted. Add --apply to delete.",
        "",
      ].join("\n"),
    ]);
    expect(await listTree(join(dir, "bucket"))).toHaveLength(7);

    const applied = await janitor([...args, "--apply", "--json", "--now", NOW.toISOString()]);
    expect([applied.code, JSON.parse(applied.stdout).deleted.map((sif: { key: string }) => sif.key)]).toEqual(
      [0, ["containers/app__1.0__gone-arm64.sif", "containers/app__1.0__gone.sif"]],
    );
    expect(await listTree(join(dir, "bucket"))).toEqual(
      SIFS.filter((name) => !name.startsWith("app__1.0__gone"))
        .map((name) => `containers/${name}`)
        .sort(),
    );
  });

  it("--include-custom keeps a custom SIF name that could be prod, unless tags are said to hold no __", async () => {
    const dir = await sifBucket();
    const custom = (extra: string[]) =>
      janitor([
        "sifs",
        "--bucket",
        `file://${dir}/bucket`,
        "--live-branch",
        "main",
        "--include-custom",
        "--now",
        NOW.toISOString(),
        "--json",
        ...extra,
      ]);
    const run = await custom([]);
    const plan = JSON.parse(run.stdout);
    expect(plan.kept.find((sif: { key: string }) => sif.key.includes("tools__22.04__gone")).reason).toBe(
      "ambiguous",
    );
    expect(run.stderr).toContain("could also be prod SIF names and are kept");
    const assumed = JSON.parse((await custom(["--assume-tags-without-separator"])).stdout);
    expect(assumed.toDelete.map((sif: { key: string }) => sif.key)).toContain(
      "containers/tools__22.04__gone__amd64.sif",
    );
  });

  it("without --live-branch, or beyond --max-delete-fraction, deletes nothing and says why", async () => {
    const dir = await sifBucket();
    const none = await janitor(["sifs", "--bucket", join(dir, "bucket"), "--apply"]);
    expect([none.code, none.stderr]).toEqual([
      2,
      "spacktainers-janitor: error: --live-branch is required: the default branch at least; with none, every branch SIF would go\n",
    ]);
    const tooMany = await janitor([
      "sifs",
      "--bucket",
      join(dir, "bucket"),
      "--live-branch",
      "main",
      "--max-delete-fraction",
      "0.1",
      "--apply",
      "--now",
      NOW.toISOString(),
    ]);
    expect(tooMany.code).toBe(1);
    const typo = await janitor(["sifs", "--bucket", join(dir, "buckte"), "--live-branch", "main"]);
    expect([typo.code, typo.stderr]).toEqual([
      2,
      `spacktainers-janitor: error: --bucket ${join(dir, "buckte")}: no such folder ${join(dir, "buckte")}.\n`,
    ]);
    expect(tooMany.stderr).toContain(
      "would delete 3 of 7 SIFs (42.9%), more than the allowed fraction 0.1. Nothing was deleted.",
    );
    expect(await listTree(join(dir, "bucket"))).toHaveLength(7);
  });
});
