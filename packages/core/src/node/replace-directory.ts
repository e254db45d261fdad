import { lstat, readdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { SpacktainersError } from "../errors/spacktainers-error.js";
import { swapInDirectory } from "./swap-in-directory.js";

/**
 * The file that marks a folder as written by a spacktainers tool. Such a folder is replaced
 * whole on the next run; a non-empty folder without it is never touched (it may be the user's).
 */
export const OUTPUT_MARKER_FILE = ".spacktainers-output";

export interface ReplaceDirectoryOptions {
  /** The folder to replace. */
  dir: string;
  /** Paths relative to `dir` → content. */
  files: Record<string, string | Uint8Array>;
  /** The tool writing it (named in the marker and in the refusal message), e.g. `spacktainers generate`. */
  writer: string;
  /** How `dir` is shown in messages (default: as given). */
  displayDir?: string;
}

async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    const info = await lstat(dir);
    if (!info.isDirectory() && !info.isSymbolicLink()) return [basename(dir)];
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes `files` into a new folder beside `dir` and swaps it in by rename, so the folder holds
 * exactly these files: nothing from an earlier run survives, and a failure before the swap
 * leaves the old folder as it was. Refuses (exit 2) when `dir` exists, is not empty and has no
 * {@link OUTPUT_MARKER_FILE}: that folder was not written by us. Returns the absolute paths written.
 */
export async function replaceDirectory({
  dir,
  files,
  writer,
  displayDir = dir,
}: ReplaceDirectoryOptions): Promise<string[]> {
  const target = resolve(dir);
  const existing = await entriesOf(target);
  if (existing && existing.length > 0 && !existing.includes(OUTPUT_MARKER_FILE)) {
    throw new SpacktainersError({
      code: "OUTPUT_NOT_OURS",
      message:
        `${displayDir} exists and holds files that ${writer} did not write (it has no ${OUTPUT_MARKER_FILE}); ` +
        "the output folder is replaced whole on every run, so it must be new, empty or written by us. " +
        "Remove it or choose another output folder.",
      exitCode: 2,
    });
  }
  const marker = `Written by ${writer}. The whole folder is replaced on its next run.\n`;
  const written = await swapInDirectory({ dir: target, files: { ...files, [OUTPUT_MARKER_FILE]: marker } });
  return written.filter((path) => path !== join(target, OUTPUT_MARKER_FILE));
}
