import { execFile } from "node:child_process";
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

/**
 * Runs a `spacktainers` command with the recorder preloaded, from source as the generated
 * pipelines run it (`pnpm spacktainers …`) or `built` as a user of the published package does:
 * its exit code and the packages it loaded.
 */
async function loadedBy(args: string[], built: boolean): Promise<Loaded> {
  const file = join(await useTempDir(), "loaded.json");
  const { code, stderr } = await runBin("orchestrator", args, {
    cleanEnv: true,
    built,
    env: {
      NODE_OPTIONS: `--require ${RECORDER}`,
      SPACKTAINERS_LOADED_PACKAGES: file,
      CI_PIPELINE_ID: "4242",
    },
  });
  return { code, stderr, packages: JSON.parse(await readFile(file, "utf8")) };
}

/**
 * split, validate and --help load no network package, and the recorder sees what they load
 * (yaml parses the site config of every command); prune, the control, loads the AWS SDK and
 * stops at the missing bucket credentials.
 */
async function expectEachCommandLoadsWhatItUses(built: boolean): Promise<void> {
  for (const args of [
    ["split", "--root", repo.root, "--arch", "amd64"],
    ["validate", "--root", repo.root],
    ["--help"],
  ]) {
    const loaded = await loadedBy(args, built);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.packages).toContain("yaml");
    expect(loaded.packages.filter((name) => NETWORK_PACKAGES.includes(name))).toEqual([]);
  }
  const prune = await loadedBy(["prune", "--root", repo.root, "--arch", "amd64"], built);
  expect([prune.code, prune.stderr]).toEqual([
    2,
    expect.stringContaining("must be set to prune the build cache"),
  ]);
  expect(prune.packages).toContain("@aws-sdk/client-s3");
}

describe("a command loads only the packages it uses", () => {
  it("from source: split, validate and --help load no network package; prune loads the AWS SDK", async () => {
    await expectEachCommandLoadsWhatItUses(false);
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
    await expectEachCommandLoadsWhatItUses(true);
  }, 300_000);
});
