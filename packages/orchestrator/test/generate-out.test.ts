import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBin } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, git } from "./helpers/e2e-repo.js";

const NOW = "2025-06-01T12:00:00Z";
let root: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ root, remove } = await createFixtureRepo());
});

afterAll(async () => {
  await remove?.();
});

async function generate(): Promise<{ code: number; stderr: string }> {
  const result = await runBin("orchestrator", ["generate", "--root", root, "--out", "out", "--now", NOW], {
    cleanEnv: true,
  });
  return { code: result.code, stderr: result.stderr.replaceAll(root, "<root>") };
}

async function environments(): Promise<string[]> {
  return (await readdir(join(root, "out/environments"), { recursive: true })).sort();
}

describe("spacktainers generate: out/", () => {
  it("is replaced whole: a deleted container's environment and an earlier split are gone", async () => {
    expect((await generate()).code).toBe(0);
    expect(await environments()).toContain("amd64/fixture-app/spack.yaml");
    // What later steps of an earlier run left in out/.
    await mkdir(join(root, "out/split/amd64/chunks"), { recursive: true });
    await writeFile(join(root, "out/split/amd64/chunks/stage-9.yml"), "stale");
    await rm(join(root, "container_definitions/amd64/fixture-app.yaml"));
    await git(root, "commit", "-qam", "remove fixture-app");
    expect((await generate()).code).toBe(0);
    expect(await environments()).not.toContain("amd64/fixture-app");
    expect(await environments()).not.toContain("amd64/fixture-app/spack.yaml");
    expect((await readdir(join(root, "out"))).sort()).toEqual([
      ".spacktainers-output",
      "environments",
      "gather.json",
      "pipeline.yml",
    ]);
    expect((await readdir(root)).filter((name) => name.startsWith(".out"))).toEqual([]);
  });

  it("refuses a non-empty out/ it did not write, and leaves it as it was", async () => {
    await rm(join(root, "out"), { recursive: true });
    await mkdir(join(root, "out"));
    await writeFile(join(root, "out/notes.md"), "mine");
    const result = await generate();
    expect(result).toEqual({
      code: 2,
      stderr:
        "spacktainers: error: out exists and holds files that spacktainers generate did not write (it has no .spacktainers-output); the output folder is replaced whole on every run, so it must be new, empty or written by us. Remove it or choose another output folder.\n",
    });
    expect(await readdir(join(root, "out"))).toEqual(["notes.md"]);
  });
});
