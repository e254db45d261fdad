import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBin } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { useConcretizedFixtureRepo } from "./helpers/e2e-repo.js";

const repo = useConcretizedFixtureRepo();

async function split(): Promise<{ code: number; stderr: string }> {
  const result = await runBin("orchestrator", ["split", "--root", repo.root, "--arch", "amd64"], {
    cleanEnv: true,
    env: { CI_PIPELINE_ID: "4242" },
  });
  return { code: result.code, stderr: result.stderr.replaceAll(repo.root, "<root>") };
}

const splitFolder = () => join(repo.root, "out/split/amd64");
const files = async () => (await readdir(splitFolder(), { recursive: true })).sort();

describe("spacktainers split: out/split/<arch>", () => {
  it("is replaced whole and YAML only: a removed container's jobs and an earlier run's chunk are gone", async () => {
    const texts = async () =>
      Promise.all(
        (await files())
          .filter((path) => path.endsWith(".yml"))
          .map((path) => readFile(join(splitFolder(), path), "utf8")),
      );
    const mentions = async (container: string) =>
      (await texts()).some((text) => text.includes(`concretize ${container} for amd64`));
    expect((await split()).code).toBe(0);
    expect(await files()).toEqual(["chunks", "chunks/stage-0.yml", "chunks/stage-1.yml", "pipeline.yml"]);
    // zlib-tools builds a subset of fixture-app's specs: each is kept once, in fixture-app's copy.
    expect([await mentions("fixture-app"), await mentions("zlib-tools")]).toEqual([true, false]);
    // A chunk of an earlier run with more stages, then a pipeline that no longer concretizes fixture-app.
    await writeFile(join(splitFolder(), "chunks/stage-9.yml"), "stale");
    await rm(join(repo.root, "out/jobs_scratch_dir.amd64/fixture-app"), { recursive: true });
    expect((await split()).code).toBe(0);
    expect(await files()).toEqual(["chunks", "chunks/stage-0.yml", "chunks/stage-1.yml", "pipeline.yml"]);
    expect([await mentions("fixture-app"), await mentions("zlib-tools")]).toEqual([false, true]);
    expect((await readdir(join(repo.root, "out/split"))).sort()).toEqual(["amd64"]);
  });

  it("refuses a folder holding anything else, and leaves it as it was", async () => {
    await rm(splitFolder(), { recursive: true });
    await mkdir(splitFolder(), { recursive: true });
    await writeFile(join(splitFolder(), "notes.md"), "mine");
    expect(await split()).toEqual({
      code: 2,
      stderr:
        "spacktainers: error: out/split/amd64 exists and holds notes.md, which spacktainers split does not write; the output folder is replaced whole on every run, so it must be new, empty or hold only pipeline.yml and chunks/*.yml. Remove it or choose another output folder.\n",
    });
    expect(await files()).toEqual(["notes.md"]);
  });
});
