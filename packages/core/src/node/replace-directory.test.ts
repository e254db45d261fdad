import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OUTPUT_MARKER_FILE, replaceDirectory } from "./replace-directory.js";

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "replace-directory-"));
  roots.push(root);
  return root;
}

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe("replaceDirectory", () => {
  it("writes a new folder, then replaces it whole: files of the earlier run are gone, no temp folder left", async () => {
    const root = await tempRoot();
    const dir = join(root, "out");
    await replaceDirectory({ dir, writer: "test", files: { "a.yml": "a", "sub/b.yml": "b" } });
    expect(await tree(dir)).toEqual([OUTPUT_MARKER_FILE, "a.yml", "sub/b.yml"]);
    const written = await replaceDirectory({ dir, writer: "test", files: { "c.yml": "c" } });
    expect(written).toEqual([join(dir, "c.yml")]);
    expect(await tree(dir)).toEqual([OUTPUT_MARKER_FILE, "c.yml"]);
    expect(await readdir(root)).toEqual(["out"]);
    expect(await readFile(join(dir, OUTPUT_MARKER_FILE), "utf8")).toBe(
      "Written by test. The whole folder is replaced on its next run.\n",
    );
  });

  it("accepts an empty folder, refuses a non-empty one it did not write and leaves it untouched", async () => {
    const root = await tempRoot();
    await mkdir(join(root, "empty"));
    await replaceDirectory({ dir: join(root, "empty"), writer: "test", files: { "a.yml": "a" } });
    expect(await tree(join(root, "empty"))).toEqual([OUTPUT_MARKER_FILE, "a.yml"]);
    await mkdir(join(root, "mine"));
    await writeFile(join(root, "mine", "thesis.tex"), "years of work");
    await expect(
      replaceDirectory({
        dir: join(root, "mine"),
        displayDir: "mine",
        writer: "test",
        files: { "a.yml": "a" },
      }),
    ).rejects.toMatchObject({
      code: "OUTPUT_NOT_OURS",
      exitCode: 2,
      message: `mine exists and holds files that test did not write (it has no ${OUTPUT_MARKER_FILE}); the output folder is replaced whole on every run, so it must be new, empty or written by us. Remove it or choose another output folder.`,
    });
    expect(await tree(join(root, "mine"))).toEqual(["thesis.tex"]);
    expect((await readdir(root)).sort()).toEqual(["empty", "mine"]);
  });

  it("keeps the earlier folder when a file cannot be written", async () => {
    const root = await tempRoot();
    const dir = join(root, "out");
    await replaceDirectory({ dir, writer: "test", files: { "a.yml": "a" } });
    await expect(replaceDirectory({ dir, writer: "test", files: { "../escape.yml": "x" } })).rejects.toThrow(
      "refusing to write outside",
    );
    expect(await tree(dir)).toEqual([OUTPUT_MARKER_FILE, "a.yml"]);
    expect(await readdir(root)).toEqual(["out"]);
  });
});
