import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createFileWriter } from "./create-file-writer.js";

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

it("writes each file exactly, whatever the size and encoding of the one before", async () => {
  const root = await mkdtemp(join(tmpdir(), "file-writer-"));
  roots.push(root);
  const write = createFileWriter();
  // Growing, then shrinking (the shared buffer must not leak the tail of a longer file),
  // multi-byte UTF-8, bytes given as such, and an empty file.
  const files: Array<[string, string | Uint8Array]> = [
    ["a.yml", "x".repeat(10)],
    ["b.yml", `${"é".repeat(300_000)}\n`],
    ["c.yml", "short"],
    ["d.bin", new Uint8Array([0, 255, 10])],
    ["e.yml", "🚀 stage-0\n"],
    ["f.yml", ""],
  ];
  for (const [name, data] of files) write(join(root, name), data);
  for (const [name, data] of files) {
    const expected = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
    expect(await readFile(join(root, name)), name).toEqual(expected);
  }
});

it("replaces what a file held", async () => {
  const root = await mkdtemp(join(tmpdir(), "file-writer-"));
  roots.push(root);
  const write = createFileWriter();
  write(join(root, "a"), "a longer first text");
  write(join(root, "a"), "short");
  expect(await readFile(join(root, "a"), "utf8")).toBe("short");
});
