import { type GitlabPipeline, type GitlabTriggerJob, JOB_NAMES, runnerJob } from "@spacktainers/core";
import type { Chunk } from "./chunk-stages.js";
import type { JobBuilder } from "./create-job-builder.js";
import { nothingToRebuildPipeline } from "./nothing-to-rebuild-pipeline.js";
import type { SpackContainer, SpackJob } from "./parse-spack-pipeline.js";
import type { SplitSettings } from "./resolve-split-settings.js";
import type { SplitFile } from "./split-merged-jobs.js";

export interface BuildTriggerPipelineOptions {
  chunks: Chunk[];
  /** The chunk files, in chunk order (their sizes decide the collect jobs). */
  chunkFiles: SplitFile[];
  /** The `rebuild-index` job kept, if any. */
  rebuildIndex?: { job: SpackJob; pipeline: SpackContainer };
  builder: JobBuilder;
  settings: SplitSettings;
}

/** Collect jobs: each republishes chunk files up to `maxArtifactBytes`. Returns chunk path → collect job. */
function collectGroups(
  chunkFiles: SplitFile[],
  settings: SplitSettings,
): Array<{ name: string; paths: string[] }> {
  const groups: Array<{ name: string; paths: string[] }> = [];
  let paths: string[] = [];
  let bytes = 0;
  for (const file of chunkFiles) {
    if (paths.length > 0 && bytes + file.bytes > settings.maxArtifactBytes) {
      groups.push({ name: "", paths });
      paths = [];
      bytes = 0;
    }
    paths.push(file.path);
    bytes += file.bytes;
  }
  if (paths.length > 0) groups.push({ name: "", paths });
  groups.forEach((group, index) => {
    group.name = JOB_NAMES.collectChildPipelines(
      settings.arch,
      groups.length === 1 ? undefined : `${index + 1}/${groups.length}`,
    );
  });
  return groups;
}

/**
 * Step 7 of the split: the trigger pipeline: collect job(s), one trigger per chunk, stage after
 * stage (`strategy: depend`, so a failed stage stops the chain), then rebuild-index. Trigger
 * includes must come from an artifact of a job in the same pipeline.
 */
export function buildTriggerPipeline({
  chunks,
  chunkFiles,
  rebuildIndex,
  builder,
  settings,
}: BuildTriggerPipelineOptions): GitlabPipeline {
  const { arch, architecture, outputPath, maxNeeds } = settings;
  if (chunks.length === 0) return nothingToRebuildPipeline({ arch, architecture });
  const stages = [...new Set(chunks.map((chunk) => chunk.stage))];
  const triggerStages = ["collect", ...stages];
  const trigger: GitlabPipeline = { stages: triggerStages, jobs: {} };
  const collectJobOf = new Map<string, string>();
  for (const group of collectGroups(chunkFiles, settings)) {
    for (const path of group.paths) collectJobOf.set(path, group.name);
    trigger.jobs[group.name] = runnerJob(settings.runners, {
      stage: "collect",
      needs: [{ job: settings.splitJobName, pipeline: settings.pipelineId, artifacts: true }],
      interruptible: true,
      timeout: "10m",
      // The split job's artifacts hold more than YAML; republish only the child files so the
      // archive a trigger include reads stays far under GitLab's 5 MB.
      script: [`ls -l ${group.paths.map((path) => `"${outputPath}/${path}"`).join(" ")}`],
      artifacts: { paths: group.paths.map((path) => `${outputPath}/${path}`), expire_in: "1 week" },
    });
  }
  let previous: string[] = [];
  for (const stage of stages) {
    const stageChunks = chunks.filter((chunk) => chunk.stage === stage);
    for (const chunk of stageChunks) {
      const collectJob = collectJobOf.get(chunk.path)!;
      const needs = [collectJob, ...previous];
      const job: GitlabTriggerJob = {
        stage,
        // More needs than GitLab allows: the stage order alone runs it after the previous stage.
        ...(needs.length <= maxNeeds ? { needs } : {}),
        trigger: {
          include: [{ artifact: `${outputPath}/${chunk.path}`, job: collectJob }],
          strategy: "depend",
        },
      };
      trigger.jobs[chunk.triggerName] = job;
    }
    previous = stageChunks.map((chunk) => chunk.triggerName);
  }
  if (rebuildIndex) {
    triggerStages.push("rebuild-index");
    // `spack buildcache update-index` reads only the mirror: no concrete environment needed.
    const { needs: _n, ...job } = builder.build(rebuildIndex.job, rebuildIndex.pipeline, {
      stage: "rebuild-index",
      needs: [],
    });
    trigger.jobs["rebuild-index"] = {
      ...job,
      ...(previous.length <= maxNeeds ? { needs: previous } : {}),
      dependencies: [],
    };
  }
  return trigger;
}
