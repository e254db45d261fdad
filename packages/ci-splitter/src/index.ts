/**
 * `@spacktainers/ci-splitter`: turns the pipelines `spack ci generate` wrote for every container
 * of one architecture into child pipelines a stock GitLab accepts (DESIGN §6–§7).
 */

export type {
  ReadSpackPipelinesOptions,
  SpackContainerPipeline,
  SpackJob,
} from "./read-spack-pipelines.js";
export {
  NO_SPECS_JOB,
  PIPELINE_FILE_NAMES,
  parseSpackPipeline,
  REBUILD_INDEX_STAGE,
  readSpackPipelines,
} from "./read-spack-pipelines.js";
export type {
  SplitFile,
  SplitSpackPipelineOptions,
  SplitSpackPipelineResult,
  SplitSummary,
} from "./split-spack-pipeline.js";
export {
  nothingToRebuildPipeline,
  SPLIT_DEFAULTS,
  splitSpackPipeline,
  TRIGGER_PIPELINE_FILE,
} from "./split-spack-pipeline.js";
