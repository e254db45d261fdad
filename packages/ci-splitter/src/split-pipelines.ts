import {
  type GitlabNeed,
  type GitlabScriptJob,
  InputInvalidError,
  JOB_NAMES,
  renderPipelineYaml,
  SpacktainersError,
  type Warning,
} from "@spacktainers/core";
import { assignLevels } from "./assign-levels.js";
import { buildTriggerPipeline } from "./build-trigger-pipeline.js";
import { chunkStages } from "./chunk-stages.js";
import { commonVariables } from "./common-variables.js";
import { createJobBuilder } from "./create-job-builder.js";
import { mergeJobs } from "./merge-jobs.js";
import type { SpackContainerPipeline } from "./parse-spack-pipeline.js";
import { pickRebuildIndex } from "./pick-rebuild-index.js";
import { renderChunkFiles, type SplitFile } from "./render-chunk-files.js";
import { resolveSplitSettings, type SplitSettingsOptions } from "./resolve-split-settings.js";
import { shortenJobName } from "./shorten-job-name.js";
import { TRIGGER_PIPELINE_FILE } from "./split-defaults.js";

export interface SplitPipelinesOptions extends SplitSettingsOptions {
  /** Every container's parsed Spack pipeline, in natural order of the container names. */
  pipelines: SpackContainerPipeline[];
}

/** What the split did. */
export type SplitSummary = {
  arch: string;
  /** Container folders read. */
  containers: number;
  /** Containers with at least one spec to rebuild. */
  containersWithJobs: number;
  /** Build jobs read over all files (a spec shared by N containers counts N times). */
  jobsRead: number;
  /** Build jobs after merging same-named jobs. */
  uniqueJobs: number;
  /** Stages with jobs. */
  stages: number;
  /** Child pipelines (one or more per stage). */
  chunks: number;
  /** Every file, the trigger pipeline first, then chunks in order. */
  files: SplitFile[];
  /** The largest file. */
  largestFile: SplitFile;
};

/** Result of the split. */
export type SplitSpackPipelineResult = {
  /** Path (relative to the output directory) → YAML text. */
  files: Record<string, string>;
  summary: SplitSummary;
  warnings: Warning[];
};

/**
 * Turns the parsed pipelines `spack ci generate` wrote for every container of one arch into
 * child pipelines a stock GitLab accepts: one job per spec (kept in its earliest stage), one or
 * more child pipelines per stage under the budgets, and a trigger pipeline that runs them stage
 * after stage and `rebuild-index` last. Pure: reads no file, returns the files' texts. Throws
 * {@link InputInvalidError} listing every problem of the input.
 */
export function splitPipelines(options: SplitPipelinesOptions): SplitSpackPipelineResult {
  const settings = resolveSplitSettings(options);
  const { pipelines } = options;
  const warnings: Warning[] = [];
  const { merged, rebuildIndexJobs, jobsRead, problems } = mergeJobs(pipelines);
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "SPACK_PIPELINE_INVALID" });
  const names = assignLevels(merged, warnings);

  const buildJob = createJobBuilder(settings);
  // One needs list per container, shared by its jobs (rendered once).
  const concretizeNeeds = new Map<string, GitlabNeed[]>();
  const concretizeNeed = (container: string): GitlabNeed[] => {
    let needs = concretizeNeeds.get(container);
    if (!needs) {
      needs = [
        {
          job: JOB_NAMES.concretize(container, settings.arch),
          pipeline: settings.pipelineId,
          artifacts: true,
        },
      ];
      concretizeNeeds.set(container, needs);
    }
    return needs;
  };
  const built = new Map<string, GitlabScriptJob>();
  const levels = new Map<string, number>();
  const gitlabNames = new Map<string, string>();
  for (const name of names) {
    const job = merged.get(name)!;
    built.set(name, buildJob(job.kept, job.pipeline, concretizeNeed(job.pipeline.container)));
    levels.set(name, job.level);
    gitlabNames.set(name, shortenJobName(name, settings.maxNameLength));
  }
  // Variables equal in every job go to the top of each file once, not into 10 000 jobs.
  const common = commonVariables([...built.values()]);
  const commonKeys = Object.keys(common);
  if (commonKeys.length > 0) {
    for (const job of built.values()) {
      const variables: Record<string, string> = {};
      for (const [key, value] of Object.entries(job.variables!)) if (!(key in common)) variables[key] = value;
      job.variables = variables;
    }
  }

  const chunks = chunkStages({ levels, jobs: built, gitlabNames, common, settings });
  const { files, summaryFiles } = renderChunkFiles({ chunks, jobs: built, gitlabNames, common });
  const rebuildIndex = chunks.length > 0 ? pickRebuildIndex(rebuildIndexJobs, warnings) : undefined;
  const trigger = buildTriggerPipeline({
    chunks,
    chunkFiles: summaryFiles,
    rebuildIndex,
    buildJob,
    settings,
  });
  const triggerText = renderPipelineYaml(trigger);
  const allFiles = [
    {
      path: TRIGGER_PIPELINE_FILE,
      bytes: Buffer.byteLength(triggerText),
      jobs: Object.keys(trigger.jobs).length,
    },
    ...summaryFiles,
  ];
  for (const file of allFiles) {
    if (file.bytes > settings.maxBytes) {
      throw new SpacktainersError({
        code: "SPLIT_FILE_TOO_LARGE",
        message: `${file.path} would be ${file.bytes} bytes, over --max-bytes ${settings.maxBytes}`,
        exitCode: 2,
      });
    }
  }
  return {
    files: { [TRIGGER_PIPELINE_FILE]: triggerText, ...files },
    warnings,
    summary: {
      arch: settings.arch,
      containers: pipelines.length,
      containersWithJobs: pipelines.filter((pipeline) => pipeline.jobs.length > 0).length,
      jobsRead,
      uniqueJobs: names.length,
      stages: new Set(chunks.map((chunk) => chunk.stage)).size,
      chunks: chunks.length,
      files: allFiles,
      largestFile: allFiles.reduce((largest, file) => (file.bytes > largest.bytes ? file : largest)),
    },
  };
}
