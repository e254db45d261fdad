import { readdir } from "node:fs/promises";
import { resolve } from "node:path";
import { SpacktainersError } from "@spacktainers/core";
import { OUTPUT_MARKER_FILE, swapInDirectory } from "@spacktainers/core/node";
import { TRIGGER_PIPELINE_FILE } from "./split-defaults.js";

export interface WriteSplitOutputOptions {
  /** The output folder (`--out`). */
  dir: string;
  /** The split's files ({@link SplitSpackPipelineResult.files}). */
  files: Record<string, string>;
  /** The tool writing it, named in the refusal message. */
  writer: string;
  /** How `dir` is shown in messages (default: as given). */
  displayDir?: string;
}

/**
 * What a split writes: `pipeline.yml` and `chunks/*.yml` (and the marker file an earlier version
 * wrote). The first path of anything else, or undefined.
 */
async function foreignEntry(dir: string): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") return dir;
    throw error;
  }
  return entries
    .sort()
    .find(
      (entry) =>
        entry !== TRIGGER_PIPELINE_FILE &&
        entry !== OUTPUT_MARKER_FILE &&
        entry !== "chunks" &&
        !/^chunks\/[^/]+\.yml$/.test(entry),
    );
}

/**
 * Writes the split's output folder whole: into a new folder beside it, swapped in by rename, so
 * nothing of an earlier run survives (a chunk of a stage that no longer exists) and a failed run
 * leaves it as it was. The folder stays YAML only, as the archives GitLab includes child
 * pipelines from should: instead of a marker file, a folder is replaced only when it is new,
 * empty or holds nothing but what a split writes; any other folder is refused (exit 2) and left
 * untouched. Returns the absolute paths written.
 */
export async function writeSplitOutput({
  dir,
  files,
  writer,
  displayDir = dir,
}: WriteSplitOutputOptions): Promise<string[]> {
  const foreign = await foreignEntry(resolve(dir));
  if (foreign !== undefined) {
    throw new SpacktainersError({
      code: "OUTPUT_NOT_OURS",
      message:
        `${displayDir} exists and holds ${foreign}, which ${writer} does not write; the output folder is replaced whole ` +
        `on every run, so it must be new, empty or hold only ${TRIGGER_PIPELINE_FILE} and chunks/*.yml. ` +
        "Remove it or choose another output folder.",
      exitCode: 2,
    });
  }
  return swapInDirectory({ dir, files });
}
