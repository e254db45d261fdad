import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { ChecksumEntry } from "../naming/checksums.js";

/** Every regular file under `dir`, as paths relative to it with `/` separators, sorted. Symlinks are not followed. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Checksum entries of every file under `dir` (paths prefixed with `prefix`, e.g. `files/brayns/`). */
export async function readChecksumEntries(dir: string, prefix = ""): Promise<ChecksumEntry[]> {
  const files = await listFilesRecursive(dir);
  return Promise.all(
    files.map(async (path) => ({ path: `${prefix}${path}`, bytes: await readFile(join(dir, path)) })),
  );
}
