import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readInputFile } from "./read-input-file.js";

let base: string;
let root: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "spacktainers-read-input-"));
  root = join(base, "repo");
  await mkdir(join(root, "d"), { recursive: true });
  await writeFile(join(base, "outside.yaml"), "private: do-not-echo\n");
  await writeFile(join(root, "ok.yaml"), "\uFEFFa: 1\n");
  await writeFile(join(root, "big.yaml"), "x".repeat(101));
  await writeFile(join(root, "nul.txt"), Buffer.from([0x52, 0x55, 0x4e, 0x00, 0x01]));
  await writeFile(join(root, "latin1.txt"), Buffer.from("café\n", "latin1"));
  await symlink("ok.yaml", join(root, "inside-link.yaml"));
  await symlink("self.yaml", join(root, "self.yaml"));
  await symlink("nowhere.yaml", join(root, "dangling.yaml"));
  await symlink("../outside.yaml", join(root, "out.yaml"));
  await symlink("loop", join(root, "loop"));
  execFileSync("mkfifo", [join(root, "fifo.yaml")]);
});

afterAll(() => rm(base, { recursive: true, force: true }));

test("reads inside the repository only, and refuses what is not a small text file, in words", async () => {
  const results: Record<string, string> = {};
  for (const path of [
    "ok.yaml",
    "inside-link.yaml",
    "missing.yaml",
    "self.yaml",
    "dangling.yaml",
    "out.yaml",
    "loop/x.yaml",
    "d",
    "fifo.yaml",
    "big.yaml",
    "nul.txt",
    "latin1.txt",
  ]) {
    const read = await readInputFile({ root, path, maxBytes: 100, text: true, what: "test file" });
    results[path] =
      read.status === "read"
        ? `read ${JSON.stringify(read.text)}`
        : read.status === "missing"
          ? "missing"
          : `${read.problem.file}: ${read.problem.message}`;
  }
  expect(results).toEqual({
    "ok.yaml": 'read "a: 1\\n"',
    "inside-link.yaml": 'read "a: 1\\n"',
    "missing.yaml": "missing",
    "self.yaml": "self.yaml: this test file is a symlink loop (it leads back to itself)",
    "dangling.yaml": "dangling.yaml: this test file is a symlink whose target does not exist",
    "out.yaml": "out.yaml: this test file is a symlink to a file outside the repository, which is not read",
    "loop/x.yaml":
      "loop/x.yaml: this test file lies in a folder that is a symlink loop (it leads back to itself)",
    d: "d: this test file is a folder, not a file",
    "fifo.yaml": "fifo.yaml: this test file is not a regular file (a device, socket or pipe)",
    "big.yaml": "big.yaml: this test file is 101 bytes, over the limit of 100 bytes for a test file",
    "nul.txt":
      "nul.txt: this test file is not text (it holds a NUL byte at offset 3); it looks like a binary file",
    "latin1.txt":
      "latin1.txt: this test file is not text (it is not valid UTF-8); it looks like a binary file",
  });
  expect(JSON.stringify(results)).not.toContain("do-not-echo");
});
