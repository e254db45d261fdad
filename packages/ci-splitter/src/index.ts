/**
 * `@spacktainers/ci-splitter`: turns the pipelines `spack ci generate` wrote for every container
 * of one architecture into child pipelines a stock GitLab accepts.
 */

export { nothingToRebuildPipeline } from "./nothing-to-rebuild-pipeline.js";
export type {
  ParseSpackPipelineOptions,
  SpackContainer,
  SpackContainerPipeline,
  SpackJob,
} from "./parse-spack-pipeline.js";
export { NO_SPECS_JOB, parseSpackPipeline, REBUILD_INDEX_STAGE } from "./parse-spack-pipeline.js";
export type { ReadSpackPipelinesOptions } from "./read-spack-pipelines.js";
export { PIPELINE_FILE_NAMES, readSpackPipelines, visitSpackPipelines } from "./read-spack-pipelines.js";
export type { SplitSettingsOptions } from "./resolve-split-settings.js";
export { SPACK_PIPELINE_LIMITS, SPLIT_DEFAULTS, TRIGGER_PIPELINE_FILE } from "./split-defaults.js";
export type { SplitFile, SplitSpackPipelineResult, SplitSummary } from "./split-merged-jobs.js";
export type { SplitPipelinesOptions } from "./split-pipelines.js";
export { splitPipelines } from "./split-pipelines.js";
export type { SplitSpackPipelineOptions } from "./split-spack-pipeline.js";
export { splitSpackPipeline } from "./split-spack-pipeline.js";
export type { WarningSummaryOptions } from "./summarize-warnings.js";
export { summarizeWarnings } from "./summarize-warnings.js";
export type { WriteSplitOutputOptions } from "./write-split-output.js";
export { writeSplitOutput } from "./write-split-output.js";
