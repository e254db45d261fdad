import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { swapInDirectory } from "./swap-in-directory.js";

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

describe("swapInDirectory", () => {
  it("replaces a folder whole with exactly the files given, and writes no marker", async () => {
    const root = await mkdtemp(join(tmpdir(), "swap-in-directory-"));
    roots.push(root);
    const dir = join(root, "out");
    await mkdir(join(dir, "chunks"), { recursive: true });
    await writeFile(join(dir, "chunks/stage-9.yml"), "stale");
    const written = await swapInDirectory({ dir, files: { "pipeline.yml": "a", "chunks/stage-0.yml": "b" } });
    expect(written).toEqual([join(dir, "pipeline.yml"), join(dir, "chunks/stage-0.yml")]);
    expect((await readdir(dir, { recursive: true })).sort()).toEqual([
      "chunks",
      "chunks/stage-0.yml",
      "pipeline.yml",
    ]);
    expect(await readdir(root)).toEqual(["out"]);
  });
});
