import { InputInvalidError } from "@spacktainers/core";
import { readSpackPipelines } from "./read-spack-pipelines.js";
import {
  type SplitPipelinesOptions,
  type SplitSpackPipelineResult,
  splitPipelines,
} from "./split-pipelines.js";

export interface SplitSpackPipelineOptions extends Omit<SplitPipelinesOptions, "pipelines"> {
  /** `jobs_scratch_dir.<arch>/` on disk: one folder per container. */
  inputDir: string;
  /** How the input directory is named in messages (default: `inputDir`). */
  displayInputDir?: string;
}

/**
 * Reads the pipelines `spack ci generate` wrote for every container of one arch
 * ({@link readSpackPipelines}) and splits them ({@link splitPipelines}). Throws
 * {@link InputInvalidError} listing every problem of the input.
 */
export async function splitSpackPipeline(
  options: SplitSpackPipelineOptions,
): Promise<SplitSpackPipelineResult> {
  const { inputDir, displayInputDir, ...settings } = options;
  const read = await readSpackPipelines({ inputDir, displayDir: displayInputDir });
  if (!read.value) throw new InputInvalidError({ problems: read.problems, code: "SPACK_PIPELINE_INVALID" });
  return splitPipelines({ ...settings, pipelines: read.value });
}
