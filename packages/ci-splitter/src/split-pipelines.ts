import { createJobMerger } from "./create-job-merger.js";
import type { SpackContainerPipeline } from "./parse-spack-pipeline.js";
import { resolveSplitSettings, type SplitSettingsOptions } from "./resolve-split-settings.js";
import { type SplitSpackPipelineResult, splitMergedJobs } from "./split-merged-jobs.js";

export interface SplitPipelinesOptions extends SplitSettingsOptions {
  /** Every container's parsed Spack pipeline, in natural order of the container names. */
  pipelines: SpackContainerPipeline[];
}

/**
 * Turns the parsed pipelines `spack ci generate` wrote for every container of one arch into
 * child pipelines a stock GitLab accepts: one job per spec (kept in its earliest stage), one or
 * more child pipelines per stage under the budgets, and a trigger pipeline that runs them stage
 * after stage and `rebuild-index` last. Pure: reads no file, returns the files' texts. Throws
 * {@link InputInvalidError} listing every problem of the input.
 */
export function splitPipelines(options: SplitPipelinesOptions): SplitSpackPipelineResult {
  const { pipelines, ...rest } = options;
  const settings = resolveSplitSettings(rest);
  const merger = createJobMerger();
  for (const pipeline of pipelines) merger.add(pipeline);
  return splitMergedJobs(merger.finish(), settings);
}
