import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createFileWriter } from "./create-file-writer.js";

export interface SwapInDirectoryOptions {
  /** The folder to create or replace. */
  dir: string;
  /** Paths relative to `dir` → content. */
  files: Record<string, string | Uint8Array>;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Writes `files` into a new folder beside `dir` and swaps it in by rename, so the folder holds
 * exactly these files: nothing of what it held before survives, and a failure before the swap
 * leaves it as it was. It does not judge whether `dir` may be replaced: callers check that first
 * (see `replaceDirectory`). Returns the absolute paths written, in the order given. Its file
 * system calls are synchronous (see {@link createFileWriter}); the promise stays for callers.
 */
export async function swapInDirectory({ dir, files }: SwapInDirectoryOptions): Promise<string[]> {
  const target = resolve(dir);
  const existed = exists(target);
  const suffix = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const staging = join(dirname(target), `.${basename(target)}.${suffix}.tmp`);
  const retired = join(dirname(target), `.${basename(target)}.${suffix}.old`);
  const written: string[] = [];
  const writeFile = createFileWriter();
  try {
    mkdirSync(staging, { recursive: true });
    for (const [relative, data] of Object.entries(files)) {
      const path = resolve(staging, relative);
      if (!path.startsWith(`${staging}/`)) throw new Error(`refusing to write outside ${dir}: ${relative}`);
      mkdirSync(dirname(path), { recursive: true });
      writeFile(path, data);
      written.push(join(target, path.slice(staging.length + 1)));
    }
    if (existed) renameSync(target, retired);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    // Put the earlier output back rather than leave no folder at all.
    if (existed) {
      try {
        renameSync(retired, target);
      } catch {
        // The original error is the one to report.
      }
    }
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  if (existed) rmSync(retired, { recursive: true, force: true });
  return written;
}
