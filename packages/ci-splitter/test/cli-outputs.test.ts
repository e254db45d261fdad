import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repo, spackFixture, spackPipelineText, split } from "./helpers.js";

describe("spacktainers-ci-split: one spec, two containers", () => {
  it("refuses the same spec hash with different job content, naming both files and the keys that differ", async () => {
    const app = spackFixture("0.23.1", "partial");
    const cwd = await repo({
      app,
      other: app
        .replace("SPACK_BUILD_JOBS: '4'", "SPACK_BUILD_JOBS: '8'")
        .replace("spack ci rebuild", "spack -d ci rebuild"),
    });
    const result = await split(cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatchInlineSnapshot(`
      "spacktainers-ci-split: error: 2 problems found:
      <root>/jobs_scratch_dir.amd64/other/pipeline.yml:1:1: job "fixture-app@2.0 /z2lkunv %gcc@12.2.0 arch=linux-debian12-x86_64" (spec hash z2lkunv6qnnywqxr6c4ej6uvakxofj7i) differs from its copy in <root>/jobs_scratch_dir.amd64/app/pipeline.yml:1:1 in script, variables.SPACK_BUILD_JOBS; one spec is built once, and the split cannot tell which copy is right
        hint: the containers' pipelines were generated with different \`ci:\` settings; make them agree (site template or the containers' spack.yaml) and regenerate
      <root>/jobs_scratch_dir.amd64/other/pipeline.yml:49:1: job "gcc-runtime@12.2.0 /tchodvt %gcc@12.2.0 arch=linux-debian12-x86_64" (spec hash tchodvtaqxzufupz6ljb42ud3pbs6vew) differs from its copy in <root>/jobs_scratch_dir.amd64/app/pipeline.yml:49:1 in script; one spec is built once, and the split cannot tell which copy is right
        hint: the containers' pipelines were generated with different \`ci:\` settings; make them agree (site template or the containers' spack.yaml) and regenerate
      "
    `);
    expect(existsSync(join(cwd, "split.amd64"))).toBe(false);
  });

  it("merges copies that differ only in paths under their own artifacts root, stage and needs", async () => {
    const cwd = await repo({
      a: spackPipelineText({ zlib: { stage: 0 }, app: { stage: 1, needs: ["zlib"] } }, "jobs_scratch_dir/a"),
      b: spackPipelineText({ app: { stage: 0 } }, "scratch/b"),
    });
    const result = await split(cwd, ["--json"]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      jobsRead: number;
      uniqueJobs: number;
      warnings: unknown[];
    };
    expect([summary.jobsRead, summary.uniqueJobs, summary.warnings.length]).toEqual([3, 2, 1]);
    // The copy kept (b's, in the earliest stage) runs from b's concretize artifacts.
    const chunk = await readFile(join(cwd, "split.amd64/chunks/stage-1.yml"), "utf8");
    expect(chunk).toContain("- cd jobs_scratch_dir.amd64/b/concrete_environment\n");
  });
});

describe("spacktainers-ci-split: warnings", () => {
  it("summarises warnings on stderr, one line per kind with its first three; --json and --report hold all", async () => {
    const names = ["app1", "app2", "app3", "app4", "app5"];
    // In a, each app needs zlib; in b, each app sits in stage-0: kept there, it must move after zlib.
    const cwd = await repo({
      a: spackPipelineText({
        zlib: { stage: 0 },
        ...Object.fromEntries(names.map((name) => [name, { stage: 1, needs: ["zlib"] }])),
      }),
      b: spackPipelineText(Object.fromEntries(names.map((name) => [name, { stage: 0 }]))),
    });
    const result = await split(cwd, ["--report", join(cwd, "report.json")]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatchInlineSnapshot(`
      "warning: SPACK_JOB_MOVED ×5; first 3 (all in <root>/report.json):
        <root>/jobs_scratch_dir.amd64/b/pipeline.yml:1:1: job "app1@1.0 /app1xxx" moved from stage-0 to stage-1 to run after the jobs it needs
        <root>/jobs_scratch_dir.amd64/b/pipeline.yml:21:1: job "app2@1.0 /app2xxx" moved from stage-0 to stage-1 to run after the jobs it needs
        <root>/jobs_scratch_dir.amd64/b/pipeline.yml:35:1: job "app3@1.0 /app3xxx" moved from stage-0 to stage-1 to run after the jobs it needs
      amd64: 11 jobs read from 2 containers, 6 unique, 2 stages, 2 child pipelines; largest file chunks/stage-1.yml (3461 bytes); written to <root>/split.amd64
      "
    `);
    const reportText = (await readFile(join(cwd, "report.json"), "utf8")).replaceAll(cwd, "<root>");
    const report = JSON.parse(reportText) as { warnings: Array<{ code: string }> };
    expect(report.warnings.map((warning) => warning.code)).toEqual(Array(5).fill("SPACK_JOB_MOVED"));
    const json = await split(cwd, ["--json"]);
    expect(JSON.parse(json.stdout)).toEqual(report);
  });
});

describe("spacktainers-ci-split: --out", () => {
  it("is replaced whole: a chunk of an earlier run is gone after a rerun with fewer stages", async () => {
    const cwd = await repo({
      a: spackPipelineText({
        zlib: { stage: 0 },
        lib: { stage: 1, needs: ["zlib"] },
        app: { stage: 2, needs: ["lib"] },
      }),
      b: spackPipelineText({ zlib: { stage: 0 } }),
    });
    const list = async () => (await readdir(join(cwd, "split.amd64"), { recursive: true })).sort();
    expect((await split(cwd)).code).toBe(0);
    // YAML only: GitLab includes the child pipelines from an archive of this folder.
    expect(await list()).toEqual([
      "chunks",
      "chunks/stage-0.yml",
      "chunks/stage-1.yml",
      "chunks/stage-2.yml",
      "pipeline.yml",
    ]);
    await rm(join(cwd, "jobs_scratch_dir.amd64/a"), { recursive: true });
    expect((await split(cwd)).code).toBe(0);
    expect(await list()).toEqual(["chunks", "chunks/stage-0.yml", "pipeline.yml"]);
    expect((await readdir(cwd)).sort()).toEqual([
      "container_definitions",
      "jobs_scratch_dir.amd64",
      "split.amd64",
    ]);
  });

  it("refuses a non-empty folder it did not write, and leaves it as it was", async () => {
    const cwd = await repo({ app: spackFixture("0.23.1", "partial") });
    await mkdir(join(cwd, "split.amd64"));
    await writeFile(join(cwd, "split.amd64/notes.md"), "mine");
    const result = await split(cwd);
    expect({ code: result.code, stderr: result.stderr }).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "spacktainers-ci-split: error: <root>/split.amd64 exists and holds notes.md, which spacktainers-ci-split does not write; the output folder is replaced whole on every run, so it must be new, empty or hold only pipeline.yml and chunks/*.yml. Remove it or choose another output folder.
      ",
      }
    `);
    expect(await readdir(join(cwd, "split.amd64"))).toEqual(["notes.md"]);
  });
});
