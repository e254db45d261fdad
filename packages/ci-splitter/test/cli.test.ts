import { existsSync } from "node:fs";
import { readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { SPACK_PIPELINE_LIMITS } from "../src/index.js";
import { repo, SITE_CONFIG_TEXT, spackFixture, spackPipelineText, split } from "./helpers.js";

/** Nine anchors, each nine aliases of the previous one (the "billion laughs"): 387 million values once expanded. */
function billionLaughs(): string {
  const lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let level = 1; level < 9; level++)
    lines.push(
      `lol${level}: &lol${level} [${Array(9)
        .fill(`*lol${level - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\n`;
}

describe("spacktainers-ci-split", () => {
  it("writes the trigger pipeline and chunks, prints the summary as JSON, byte-identical on a rerun", async () => {
    const cwd = await repo({
      app: spackFixture("0.23.1", "empty-mirror"),
      lib: spackFixture("0.23.1", "partial"),
    });
    const first = await split(cwd, ["--json"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      arch: "amd64",
      containers: 2,
      containersWithJobs: 2,
      jobsRead: 6,
      uniqueJobs: 4,
      stages: 3,
      chunks: 3,
      files: [
        { path: "pipeline.yml", bytes: expect.any(Number), jobs: 5 },
        { path: "chunks/stage-0.yml", bytes: expect.any(Number), jobs: 1 },
        { path: "chunks/stage-1.yml", bytes: expect.any(Number), jobs: 2 },
        { path: "chunks/stage-2.yml", bytes: expect.any(Number), jobs: 1 },
      ],
      largestFile: expect.objectContaining({ path: expect.any(String) }),
      warnings: [],
    });
    const read = () =>
      Promise.all(
        ["pipeline.yml", "chunks/stage-0.yml", "chunks/stage-1.yml", "chunks/stage-2.yml"].map((path) =>
          readFile(join(cwd, "split.amd64", path), "utf8"),
        ),
      );
    const before = await read();
    const second = await split(cwd);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(
      /^amd64: 6 jobs read from 2 containers, 4 unique, 3 stages, 3 child pipelines; largest file pipeline\.yml \(\d+ bytes\); written to <root>\/split\.amd64\n$/,
    );
    expect(await read()).toEqual(before);
    expect(before[0]).toContain("artifact: split.amd64/chunks/stage-1.yml");
  });

  it("reports every problem of every container at once, exits 2 and writes nothing", async () => {
    const good = spackFixture("0.23.1", "empty-mirror");
    const cwd = await repo({
      "a-not-yaml": "stages: [stage-0\njob: {",
      "b-no-stage": good.replace("  stage: stage-1\n", ""),
      "c-odd-stage": good.replace("  stage: stage-2\n", "  stage: build\n"),
      "d-no-root": good.replace("  SPACK_ARTIFACTS_ROOT: jobs_scratch_dir\n", ""),
    });
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(cwd, "jobs_scratch_dir.amd64/e-no-file/concrete_environment"), { recursive: true });
    const result = await split(cwd);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatchInlineSnapshot(`
      "spacktainers-ci-split: error: 5 problems found:
      <root>/jobs_scratch_dir.amd64/a-not-yaml/pipeline.yml:2:1: not a YAML file Spack wrote: missed comma between flow collection entries
      <root>/jobs_scratch_dir.amd64/b-no-stage/pipeline.yml:52:1: job "fixture-hello@1.0 /myp4ubl %gcc@12.2.0 arch=linux-debian12-x86_64" has no stage
      <root>/jobs_scratch_dir.amd64/c-odd-stage/pipeline.yml:1:1: job "fixture-app@2.0 /z2lkunv %gcc@12.2.0 arch=linux-debian12-x86_64" is in stage "build"; Spack writes only stage-<N> and stage-rebuild-index
      <root>/jobs_scratch_dir.amd64/d-no-root/pipeline.yml:113:1: global \`variables:\` has no SPACK_ARTIFACTS_ROOT, so the jobs cannot find their concrete environment
        hint: run \`spack ci generate\` with \`--artifacts-root\`
      <root>/jobs_scratch_dir.amd64/e-no-file: container folder has no pipeline file (expected pipeline.yml or pipeline.yaml)
      "
    `);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });

  it("refuses a missing or empty input directory", async () => {
    const cwd = await useTempDir({
      "container_definitions/spacktainers.yaml": SITE_CONFIG_TEXT,
      "empty/.keep": "",
    });
    const missing = await split(cwd);
    const empty = await split(cwd, ["--input", join(cwd, "empty")]);
    expect([missing.code, missing.stderr, empty.code, empty.stderr]).toEqual([
      2,
      "spacktainers-ci-split: error: 1 problem found:\n<root>/jobs_scratch_dir.amd64: the input directory does not exist\n  hint: pass the jobs_scratch_dir.<arch> directory that the concretize jobs' artifacts fill\n",
      2,
      "spacktainers-ci-split: error: 1 problem found:\n<root>/empty: the input directory has no container folder (expected <container>/pipeline.yml)\n",
    ]);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });

  it("refuses two jobs of one name with different spec hashes", async () => {
    const app = spackFixture("0.23.1", "partial");
    const cwd = await repo({
      app,
      other: app.replace("z2lkunv6qnnywqxr6c4ej6uvakxofj7i", "aaaaaaaqnnywqxr6c4ej6uvakxofj7i"),
    });
    const result = await split(cwd);
    expect({ code: result.code, stderr: result.stderr }).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "spacktainers-ci-split: error: 1 problem found:
      <root>/jobs_scratch_dir.amd64/other/pipeline.yml:1:1: job "fixture-app@2.0 /z2lkunv %gcc@12.2.0 arch=linux-debian12-x86_64" has spec hash aaaaaaaqnnywqxr6c4ej6uvakxofj7i here but z2lkunv6qnnywqxr6c4ej6uvakxofj7i in <root>/jobs_scratch_dir.amd64/app/pipeline.yml:1:1
        hint: two containers concretized different specs under one name; regenerate both pipelines
      ",
      }
    `);
  });

  it("refuses jobs that need each other, and writes nothing", async () => {
    const cwd = await repo({
      app: spackPipelineText({ app: { stage: 1, needs: ["lib"] }, lib: { stage: 1, needs: ["app"] } }),
    });
    const result = await split(cwd);
    expect({ code: result.code, stderr: result.stderr }).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "spacktainers-ci-split: error: 1 problem found:
      <root>/jobs_scratch_dir.amd64/app/pipeline.yml:1:1: job "app@1.0 /appxxxx" needs itself through other jobs
      ",
      }
    `);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });

  it("refuses an alias bomb, an alias inside itself and a file over the size limit, and writes nothing", async () => {
    const spack = spackFixture("1.0.2", "empty-mirror");
    const cwd = await repo({
      bomb: `${spack}${billionLaughs()}`,
      cycle: spack.replace("  SPACK_ARTIFACTS_ROOT:", "  LOOP: &loop [*loop]\n  SPACK_ARTIFACTS_ROOT:"),
      huge: spack,
      // Spack writes several aliases per job: many more than core's 1,000 for hand-written YAML.
      many: `${spack}default:\n  tags: [${Array(1200).fill("*id003").join(", ")}]\n`,
    });
    await truncate(
      join(cwd, "jobs_scratch_dir.amd64/huge/pipeline.yml"),
      SPACK_PIPELINE_LIMITS.fileBytes + 1024 * 1024,
    );
    const result = await split(cwd);
    expect({ code: result.code, stderr: result.stderr }).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "spacktainers-ci-split: error: 3 problems found:
      <root>/jobs_scratch_dir.amd64/bomb/pipeline.yml:174:1: YAML aliases in this file expand to 490,329,123 more values, over the limit of 100,000 for its 412 written values (most of them under "lol8")
        hint: this is not a file \`spack ci generate\` wrote: aliases that repeat aliases grow exponentially
      <root>/jobs_scratch_dir.amd64/cycle/pipeline.yml:126:1: a YAML alias under "variables" refers to a value that contains it, which never ends once expanded
        hint: an alias may only repeat a value defined before and outside it
      <root>/jobs_scratch_dir.amd64/huge/pipeline.yml: the file is 33 MiB, over the limit of 32 MiB for one container's pipeline (about 45,000 jobs)
        hint: check that this is the file \`spack ci generate\` wrote for one container
      ",
      }
    `);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });

  it("needs --arch, --out, a configured arch and a pipeline id", async () => {
    const cwd = await repo({ app: spackFixture("0.23.1", "partial") });
    const none = await runBin("ci-splitter", [], { cleanEnv: true });
    const unknown = await split(cwd, ["--arch", "riscv"]);
    const noId = await split(cwd, [], {});
    expect([none, unknown, noId].map(({ code, stderr }) => ({ code, stderr }))).toMatchInlineSnapshot(`
      [
        {
          "code": 2,
          "stderr": "spacktainers-ci-split: error: --arch is required; --out is required; --pipeline-id (or CI_PIPELINE_ID) is required: the id of the pipeline running the concretize jobs
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-ci-split: error: architecture "riscv" is not configured in container_definitions/spacktainers.yaml (configured: amd64, arm64)
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-ci-split: error: --pipeline-id (or CI_PIPELINE_ID) is required: the id of the pipeline running the concretize jobs
      ",
        },
      ]
    `);
  });

  it("reports every bad budget, pull policy and pipeline id in one message, and writes nothing", async () => {
    const cwd = await repo({ app: spackFixture("0.23.1", "partial") });
    const result = await split(
      cwd,
      [
        "--max-jobs",
        "0",
        "--max-bytes",
        "1.5",
        "--max-needs",
        "ten",
        "--pull-policy",
        "never",
        "--pipeline-id",
        " ",
      ],
      {},
    );
    expect({ code: result.code, stderr: result.stderr }).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "spacktainers-ci-split: error: --pipeline-id: takes the id of a pipeline, got " "; --max-jobs: takes a whole number ≥ 1, got "0"; --max-bytes: takes a whole number ≥ 1, got "1.5"; --max-needs: takes a whole number ≥ 1, got "ten"; --pull-policy: takes one of always, if-not-present, got "never"
      ",
      }
    `);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });
});
