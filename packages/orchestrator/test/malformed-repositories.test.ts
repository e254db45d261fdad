import { createHash } from "node:crypto";
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { createTempDir, REPO_ROOT, runBin } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "./helpers/e2e-repo.js";

/**
 * Malformed repositories and command lines, one folder per case under
 * `__fixtures__/malformed/` (the inputs that once crashed or misled) and
 * `__fixtures__/malformed-fresh/` (a second corpus written afterwards, without looking at the
 * first). Each folder holds `expected.json` and an overlay: `repo/…` is laid over a valid
 * repository (the fixture repository, the real `images/` and its `.gitlab-ci.yml`), anything
 * else lands next to `repo/` (outside the repository). Symlinks are listed in `expected.json`
 * and made at run time: a symlink loop committed to the repository breaks tools that walk it
 * (turbo's input hashing fails on one). Every command of a case runs through
 * the real bin, must exit with the expected code and print exactly the expected stderr, and
 * must leave every file as it was (a previous `out/` included).
 */
type Case = {
  /** What was seen before the fix, or what the case tries. */
  about: string;
  /** Package whose bin runs (default `orchestrator`). */
  bin?: string;
  /** Argument lists; `<repo>` is the malformed repository. */
  commands: string[][];
  /** Exit code of every command. */
  exitCode: number;
  /** Exact stderr of every command; `<root>` is the case's temp folder. */
  stderr: string;
  /** Texts that must never be printed (content of a file outside the repository). */
  neverPrinted?: string[];
  /** Paths (relative to the repository) to delete from the valid repository. */
  remove?: string[];
  /** Text edits of the repository: replace `find` (first occurrence), or append. */
  edits?: { path: string; find?: string; replace?: string; append?: string }[];
  /** A large file written at run time (or appended to one): `head`, then `line` repeated `count` times. */
  generate?: { path: string; head: string; line: string; count: number; append?: boolean };
  /** Symlinks to make (path relative to the case folder → target), replacing what is there. */
  symlinks?: Record<string, string>;
  /** Environment of the bin (on top of PATH and HOME only). */
  env?: Record<string, string>;
};

let base: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  base = await createTempDir({}, "spacktainers-malformed-base-");
  await cp(join(FIXTURES, "repo"), base.path, { recursive: true });
  await cp(join(REPO_ROOT, "images"), join(base.path, "images"), { recursive: true });
  const written = await runBin("orchestrator", ["parent-pipeline", "--write", "--root", base.path], {
    cleanEnv: true,
  });
  expect(written.code).toBe(0);
  // A previous run's output, which a refused run must leave as it was.
  await mkdir(join(base.path, "out"));
  await writeFile(join(base.path, "out/pipeline.yml"), "# from a previous run\n");
}, 60_000);

afterAll(() => base?.remove());

/** Copies an overlay tree onto `target`, replacing what is in the way. */
async function overlay(source: string, target: string): Promise<void> {
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = join(source, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) {
      const existing = await lstat(to).catch(() => undefined);
      if (existing && !existing.isDirectory()) await rm(to);
      await mkdir(to, { recursive: true });
      await overlay(from, to);
      continue;
    }
    await rm(to, { recursive: true, force: true });
    await cp(from, to);
  }
}

/** Every path under `root` with its content hash or link target: the state a run must keep. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = relative(root, path);
    if (entry.isSymbolicLink()) state[key] = `-> ${await readlink(path)}`;
    else if (entry.isFile())
      state[key] = createHash("sha256")
        .update(await readFile(path))
        .digest("hex");
    else state[key] = "dir";
  }
  return state;
}

async function prepare(
  folder: string,
  spec: Case,
): Promise<{ root: string; repo: string; remove(): Promise<void> }> {
  const temp = await createTempDir({}, "spacktainers-malformed-");
  const repo = join(temp.path, "repo");
  await cp(base.path, repo, { recursive: true });
  for (const path of spec.remove ?? []) await rm(join(repo, path), { recursive: true, force: true });
  const entries = (await readdir(folder)).filter((name) => name !== "expected.json");
  for (const name of entries) {
    const info = await lstat(join(folder, name));
    if (info.isDirectory()) {
      await mkdir(join(temp.path, name), { recursive: true });
      await overlay(join(folder, name), join(temp.path, name));
    } else await cp(join(folder, name), join(temp.path, name));
  }
  for (const edit of spec.edits ?? []) {
    const file = join(repo, edit.path);
    let text = await readFile(file, "utf8");
    if (edit.find !== undefined) {
      expect(text, `${edit.path} holds ${edit.find}`).toContain(edit.find);
      text = text.replace(edit.find, edit.replace ?? "");
    }
    await writeFile(file, text + (edit.append ?? ""));
  }
  for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
    await rm(join(temp.path, path), { recursive: true, force: true });
    await mkdir(dirname(join(temp.path, path)), { recursive: true });
    await symlink(target, join(temp.path, path));
  }
  if (spec.generate) {
    const { path, head, line, count, append } = spec.generate;
    await writeFile(join(repo, path), head + line.repeat(count), { flag: append ? "a" : "w" });
  }
  return { root: temp.path, repo, remove: temp.remove };
}

async function loadCorpus(corpus: string): Promise<[string, string, Case][]> {
  const dir = join(FIXTURES, corpus);
  const names = (await readdir(dir)).sort();
  return Promise.all(
    names.map(async (name) => {
      const spec = JSON.parse(await readFile(join(dir, name, "expected.json"), "utf8")) as Case;
      return [name, join(dir, name), spec] as [string, string, Case];
    }),
  );
}

async function runCase(folder: string, spec: Case): Promise<void> {
  const { root, repo, remove } = await prepare(folder, spec);
  try {
    const before = await snapshot(root);
    for (const command of spec.commands) {
      const args = command.map((arg) => arg.replace("<repo>", repo));
      const result = await runBin(spec.bin ?? "orchestrator", args, {
        cleanEnv: true,
        cwd: root,
        ...(spec.env ? { env: spec.env } : {}),
      });
      const stderr = result.stderr.split(root).join("<root>");
      expect({ command: command.join(" "), code: result.code, stderr }).toEqual({
        command: command.join(" "),
        code: spec.exitCode,
        stderr: spec.stderr,
      });
      for (const text of spec.neverPrinted ?? []) expect(result.stdout + result.stderr).not.toContain(text);
      expect(await snapshot(root)).toEqual(before);
    }
  } finally {
    await remove();
  }
}

for (const corpus of ["malformed", "malformed-fresh"]) {
  const cases = await loadCorpus(corpus);
  describe(`${corpus}: every case exits with a located message and leaves the files as they were`, () => {
    it.concurrent.each(cases)("%s", async (_name, folder, spec) => runCase(folder, spec), 120_000);
  });
}
