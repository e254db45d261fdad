import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { REPO_ROOT, runBin, useTempDir } from "@spacktainers/test-utils";
import { beforeAll, describe, expect, it } from "vitest";
import { useConcretizedFixtureRepo } from "./helpers/e2e-repo.js";

const run = promisify(execFile);

/** Records the CommonJS packages a process loaded (all the heavy ones are CommonJS). */
const RECORDER = resolve(dirname(fileURLToPath(import.meta.url)), "helpers/record-loaded-packages.cjs");

/** What only the commands talking to S3, a registry or GitLab need. */
const NETWORK_PACKAGES = ["@aws-sdk/client-s3", "@aws-sdk/lib-storage", "undici", "yauzl"];

const repo = useConcretizedFixtureRepo();

// validate also checks .gitlab-ci.yml against the site config.
beforeAll(async () => {
  const written = await runBin("orchestrator", ["parent-pipeline", "--root", repo.root, "--write"], {
    cleanEnv: true,
  });
  expect(written.code, written.stderr).toBe(0);
});

type Loaded = { code: number; stderr: string; packages: string[] };

/** Runs a `spacktainers` command with the recorder preloaded: its exit code and the packages it loaded. */
async function loadedBy(
  runCommand: (env: Record<string, string>) => Promise<{ code: number; stderr: string }>,
): Promise<Loaded> {
  const dir = await useTempDir();
  const file = join(dir, "loaded.json");
  const { code, stderr } = await runCommand({
    NODE_OPTIONS: `--require ${RECORDER}`,
    SPACKTAINERS_LOADED_PACKAGES: file,
    CI_PIPELINE_ID: "4242",
  });
  return { code, stderr, packages: JSON.parse(await readFile(file, "utf8")) };
}

/** The command from source, as the generated pipelines run it (`pnpm spacktainers …`). */
const fromSource = (args: string[]) => () =>
  loadedBy((env) => runBin("orchestrator", args, { cleanEnv: true, env }));

/** The command from the built bin, as a user of the published package runs it. */
const fromBuild = (args: string[]) => () =>
  loadedBy(
    (env) =>
      new Promise((done, reject) => {
        const child = spawn(
          process.execPath,
          [join(REPO_ROOT, "packages/orchestrator/bin/spacktainers.js"), ...args],
          {
            env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
            stdio: ["ignore", "ignore", "pipe"],
          },
        );
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => done({ code: code ?? 1, stderr }));
      }),
  );

describe("a command loads only the packages it uses", () => {
  it("from source: split, validate and --help load no network package; prune loads the AWS SDK", async () => {
    const split = await fromSource(["split", "--root", repo.root, "--arch", "amd64"])();
    expect(split.code, split.stderr).toBe(0);
    // The recorder sees what a command loads: yaml parses the site config of every command.
    expect(split.packages).toContain("yaml");
    for (const args of [["validate", "--root", repo.root], ["--help"]]) {
      const loaded = await fromSource(args)();
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.packages.filter((name) => NETWORK_PACKAGES.includes(name))).toEqual([]);
    }
    expect(split.packages.filter((name) => NETWORK_PACKAGES.includes(name))).toEqual([]);
    // prune stops at the missing bucket credentials, after loading its implementation.
    const prune = await fromSource(["prune", "--root", repo.root, "--arch", "amd64"])();
    expect([prune.code, prune.stderr]).toEqual([
      2,
      expect.stringContaining("must be set to prune the build cache"),
    ]);
    expect(prune.packages).toContain("@aws-sdk/client-s3");
  }, 120_000);

  it("from the build: the chunks of dist/ keep split, validate and --help free of network packages", async () => {
    // Build what is run: dist/ is never a stale one.
    await run(
      "pnpm",
      [
        "exec",
        "turbo",
        "run",
        "build",
        "--output-logs=errors-only",
        "--filter=@spacktainers/orchestrator...",
      ],
      {
        cwd: REPO_ROOT,
      },
    );
    for (const args of [
      ["split", "--root", repo.root, "--arch", "amd64"],
      ["validate", "--root", repo.root],
      ["--help"],
    ]) {
      const loaded = await fromBuild(args)();
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.packages).toContain("yaml");
      expect(loaded.packages.filter((name) => NETWORK_PACKAGES.includes(name))).toEqual([]);
    }
    const prune = await fromBuild(["prune", "--root", repo.root, "--arch", "amd64"])();
    expect([prune.code, prune.stderr]).toEqual([
      2,
      expect.stringContaining("must be set to prune the build cache"),
    ]);
    expect(prune.packages).toContain("@aws-sdk/client-s3");
  }, 300_000);
});
