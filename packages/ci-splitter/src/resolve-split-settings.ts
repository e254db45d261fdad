import {
  type ArchitectureConfig,
  archRunners,
  checkNumberRange,
  GITLAB_LIMITS,
  JOB_NAMES,
  type Runners,
  UsageError,
} from "@spacktainers/core";
import { SPLIT_DEFAULTS, SPLIT_OPTION_RANGES } from "./split-defaults.js";

/** What the split needs besides Spack's pipelines. */
export interface SplitSettingsOptions {
  /** Architecture name, e.g. `amd64`. */
  arch: string;
  /** The arch's site configuration (runner tags, variables, cache bucket credentials). */
  architecture: ArchitectureConfig;
  /**
   * Where the input directory is inside `CI_PROJECT_DIR` of the build jobs, i.e. where the
   * concretize jobs' artifacts land (default `jobs_scratch_dir.<arch>`). Each job's
   * SPACK_ARTIFACTS_ROOT becomes `<inputPath>/<container>`.
   */
  inputPath?: string;
  /** Where the output directory is inside `CI_PROJECT_DIR` (paths of the child YAML artifacts). */
  outputPath: string;
  /**
   * `CI_PIPELINE_ID` of the pipeline that runs the concretize jobs and this split (child
   * pipeline A): the target of every cross-pipeline need.
   */
  pipelineId: string;
  /** Name of the job that runs the split (its artifacts hold our output). Default `split spack pipeline for <arch>`. */
  splitJobName?: string;
  /** Max jobs per child pipeline. */
  maxJobs?: number;
  /** Max bytes of YAML per file. */
  maxBytes?: number;
  /** Max `needs:` per job. */
  maxNeeds?: number;
  /** Max characters of a job name; longer Spack names are shortened with a hash suffix. */
  maxNameLength?: number;
  /** Max uncompressed bytes of child YAML per collect job's artifacts. */
  maxArtifactBytes?: number;
  /** Timeout of build jobs (GitLab duration, e.g. `4h`). */
  timeout?: string;
  /** Image pull policy of build jobs. */
  pullPolicy?: "always" | "if-not-present";
}

/** The options with every default applied and GitLab's hard limits enforced. */
export type SplitSettings = Required<Omit<SplitSettingsOptions, "architecture">> & {
  architecture: ArchitectureConfig;
  /** The arch's runners: tags and variables (resources, proxy). */
  runners: Runners;
};

/**
 * Applies the defaults of {@link SPLIT_DEFAULTS}; budgets never exceed GitLab's limits. Throws
 * {@link UsageError} naming every budget outside {@link SPLIT_OPTION_RANGES}.
 */
export function resolveSplitSettings(options: SplitSettingsOptions): SplitSettings {
  const { arch } = options;
  const problems: string[] = [];
  for (const [name, range] of Object.entries(SPLIT_OPTION_RANGES)) {
    const value = options[name as keyof typeof SPLIT_OPTION_RANGES];
    const problem = value === undefined ? undefined : checkNumberRange(value, range);
    if (problem) problems.push(`${name} ${problem}`);
  }
  if (problems.length > 0) throw new UsageError(`${problems.join("; ")}.`);
  return {
    arch,
    architecture: options.architecture,
    runners: archRunners(options.architecture),
    inputPath: (options.inputPath ?? `jobs_scratch_dir.${arch}`).replace(/\/+$/, ""),
    outputPath: options.outputPath.replace(/\/+$/, ""),
    pipelineId: options.pipelineId,
    splitJobName: options.splitJobName ?? JOB_NAMES.split(arch),
    maxJobs: options.maxJobs ?? SPLIT_DEFAULTS.maxJobs,
    maxBytes: options.maxBytes ?? SPLIT_DEFAULTS.maxBytes,
    maxNeeds: Math.min(options.maxNeeds ?? SPLIT_DEFAULTS.maxNeeds, GITLAB_LIMITS.maxNeedsPerJob),
    maxNameLength: Math.min(
      options.maxNameLength ?? SPLIT_DEFAULTS.maxNameLength,
      GITLAB_LIMITS.maxJobNameLength,
    ),
    maxArtifactBytes: options.maxArtifactBytes ?? SPLIT_DEFAULTS.maxArtifactBytes,
    timeout: options.timeout ?? SPLIT_DEFAULTS.timeout,
    pullPolicy: options.pullPolicy ?? SPLIT_DEFAULTS.pullPolicy,
  };
}
