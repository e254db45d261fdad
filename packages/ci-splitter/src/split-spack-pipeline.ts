import { InputInvalidError } from "@spacktainers/core";
import { createJobMerger } from "./create-job-merger.js";
import { visitSpackPipelines } from "./read-spack-pipelines.js";
import { resolveSplitSettings, type SplitSettingsOptions } from "./resolve-split-settings.js";
import { type SplitSpackPipelineResult, splitMergedJobs } from "./split-merged-jobs.js";

export interface SplitSpackPipelineOptions extends SplitSettingsOptions {
  /** `jobs_scratch_dir.<arch>/` on disk: one folder per container. */
  inputDir: string;
  /** How the input directory is named in messages (default: `inputDir`). */
  displayInputDir?: string;
}

/**
 * Reads the pipelines `spack ci generate` wrote for every container of one arch and splits them
 * (what {@link splitPipelines} does with {@link readSpackPipelines}' result), merging each file
 * as soon as it is read so that the copies merged away are never all in memory at once. Throws
 * {@link InputInvalidError} listing every problem of the input.
 */
export async function splitSpackPipeline(
  options: SplitSpackPipelineOptions,
): Promise<SplitSpackPipelineResult> {
  const { inputDir, displayInputDir, ...rest } = options;
  const settings = resolveSplitSettings(rest);
  const merger = createJobMerger();
  const problems = await visitSpackPipelines({ inputDir, displayDir: displayInputDir }, merger.add);
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "SPACK_PIPELINE_INVALID" });
  return splitMergedJobs(merger.finish(), settings);
}
