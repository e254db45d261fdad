import {
  GITLAB_LIMITS,
  type GitlabNeed,
  InputInvalidError,
  JOB_NAMES,
  renderPipelineYaml,
  SpacktainersError,
  type Warning,
} from "@spacktainers/core";
import { assignLevels } from "./assign-levels.js";
import { buildTriggerPipeline } from "./build-trigger-pipeline.js";
import { chunkStages } from "./chunk-stages.js";
import { commonKeywords, commonVariables } from "./common-variables.js";
import { createJobBuilder, DEFAULT_KEYWORDS } from "./create-job-builder.js";
import type { MergedJobs } from "./create-job-merger.js";
import { pickRebuildIndex } from "./pick-rebuild-index.js";
import type { SplitSettings } from "./resolve-split-settings.js";
import { shortenJobName } from "./shorten-job-name.js";
import { TRIGGER_PIPELINE_FILE } from "./split-defaults.js";

/** One file written. */
export type SplitFile = {
  /** Path relative to the output directory. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Jobs in it. */
  jobs: number;
};

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
 * Steps 2–7 of the split, after {@link createJobMerger}: levels, names, jobs, chunks, files and
 * the trigger pipeline. Throws {@link InputInvalidError} on merge problems or a cycle of needs.
 */
export function splitMergedJobs(mergedJobs: MergedJobs, settings: SplitSettings): SplitSpackPipelineResult {
  const { merged, rebuildIndexJobs, problems } = mergedJobs;
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "SPACK_PIPELINE_INVALID" });
  const warnings: Warning[] = [];
  const names = assignLevels(merged, warnings);
  const builder = createJobBuilder(settings);
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
  const stages = new Map<number, string[]>();
  const gitlabNames = new Map<string, string>();
  for (const name of names) {
    const { level } = merged.get(name)!;
    const list = stages.get(level);
    if (list) list.push(name);
    else stages.set(level, [name]);
    gitlabNames.set(name, shortenJobName(name, settings.maxNameLength));
  }
  // Variables equal in every job go to the top of each file once, not into 10,000 jobs.
  const common = commonVariables(
    merged.values(),
    (job) => builder.variables(job.kept, job.pipeline),
    (job, key) => builder.variable(job.kept, job.pipeline, key),
  );
  // Keywords equal in every job (runner tags, retry, timeout, usually Spack's image and
  // before_script) go to each file's `default:` once.
  const defaults = commonKeywords(merged.values(), DEFAULT_KEYWORDS, (job, key) =>
    builder.keyword(job.kept, job.pipeline, key),
  );
  const chunks = chunkStages({
    stages,
    gitlabNames,
    common,
    defaults,
    settings,
    buildJob: (name, stage) => {
      const { kept, pipeline } = merged.get(name)!;
      const needs = concretizeNeed(pipeline.container);
      return builder.build(kept, pipeline, { stage, needs, common, defaults });
    },
  });
  if (chunks.length + 1 > GITLAB_LIMITS.maxDownstreamPipelines) {
    throw new SpacktainersError({
      code: "TOO_MANY_CHILD_PIPELINES",
      message: `${chunks.length} child pipelines exceed GitLab's ${GITLAB_LIMITS.maxDownstreamPipelines} downstream pipelines; raise --max-jobs or --max-bytes`,
      exitCode: 2,
    });
  }
  const chunkFiles = chunks.map((chunk) => ({
    path: chunk.path,
    bytes: chunk.bytes,
    jobs: chunk.names.length,
  }));
  const rebuildIndex = chunks.length > 0 ? pickRebuildIndex(rebuildIndexJobs, warnings) : undefined;
  const trigger = buildTriggerPipeline({ chunks, chunkFiles, rebuildIndex, builder, settings });
  const triggerText = renderPipelineYaml(trigger);
  const triggerFile = {
    path: TRIGGER_PIPELINE_FILE,
    bytes: Buffer.byteLength(triggerText),
    jobs: Object.keys(trigger.jobs).length,
  };
  const allFiles = [triggerFile, ...chunkFiles];
  for (const file of allFiles) {
    if (file.bytes > settings.maxBytes) {
      throw new SpacktainersError({
        code: "SPLIT_FILE_TOO_LARGE",
        message: `${file.path} would be ${file.bytes} bytes, over --max-bytes ${settings.maxBytes}`,
        exitCode: 2,
      });
    }
  }
  const files: Record<string, string> = { [TRIGGER_PIPELINE_FILE]: triggerText };
  for (const chunk of chunks) files[chunk.path] = chunk.text;
  return {
    files,
    warnings,
    summary: {
      arch: settings.arch,
      containers: mergedJobs.containers,
      containersWithJobs: mergedJobs.containersWithJobs,
      jobsRead: mergedJobs.jobsRead,
      uniqueJobs: names.length,
      stages: stages.size,
      chunks: chunks.length,
      files: allFiles,
      largestFile: allFiles.reduce((largest, file) => (file.bytes > largest.bytes ? file : largest)),
    },
  };
}
