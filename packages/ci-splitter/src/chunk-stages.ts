import { type GitlabScriptJob, naturalCompare, SpacktainersError } from "@spacktainers/core";
import { createJobRenderer } from "./create-job-renderer.js";
import { chunkHeader, renderChunkFile } from "./render-chunk-file.js";
import type { SplitSettings } from "./resolve-split-settings.js";

/** One child pipeline: jobs of one stage under the job and byte budgets. */
export type Chunk = {
  /** `stage-<N>`. */
  stage: string;
  /** Spack's names of its jobs. */
  names: string[];
  /** Path in the output directory, `chunks/stage-<N>[-<k>].yml`. */
  path: string;
  /** Name of the trigger job that runs it. */
  triggerName: string;
  /** The file's YAML. */
  text: string;
  /** Its size in bytes. */
  bytes: number;
};

export interface ChunkStagesOptions {
  /** Spack job names of each stage index. */
  stages: Map<number, string[]>;
  /** Spack job name → the name GitLab shows. */
  gitlabNames: Map<string, string>;
  /** Variables every job shares (the file header holds them). */
  common: Record<string, string>;
  /** Keywords every job shares, for the file's `default:` (jobs are built without them). */
  defaults: Record<string, unknown>;
  /** The job we write for a Spack job name, in the given stage. */
  buildJob: (name: string, stage: string) => GitlabScriptJob;
  settings: SplitSettings;
}

type Group = { names: string[]; jobs: Array<{ name: string; job: GitlabScriptJob; parts: string[] }> };

/**
 * Step 5 of the split: the stages in order, each cut into chunks under `maxJobs` jobs and
 * `maxBytes` bytes, jobs in natural order of the names GitLab shows (the order
 * renderPipelineYaml writes them in). Each job is built and rendered once, when its chunk is
 * filled, and dropped as soon as the chunk's file is written: only one chunk's jobs are in
 * memory at a time.
 */
export function chunkStages({
  stages,
  gitlabNames,
  common,
  defaults,
  buildJob,
  settings,
}: ChunkStagesOptions): Chunk[] {
  const renderJob = createJobRenderer();
  const chunks: Chunk[] = [];
  for (const level of [...stages.keys()].sort((a, b) => a - b)) {
    const stage = `stage-${level}`;
    const header = chunkHeader(stage, common, defaults);
    const headerBytes = Buffer.byteLength(header);
    const budget = settings.maxBytes - headerBytes;
    const files: Array<{ names: string[]; text: string; bytes: number }> = [];
    let group: Group = { names: [], jobs: [] };
    let bytes = 0;
    const close = () => {
      const text = renderChunkFile({ stage, header, common, defaults, jobs: group.jobs });
      files.push({ names: group.names, text, bytes: headerBytes + bytes });
      group = { names: [], jobs: [] };
      bytes = 0;
    };
    const names = stages.get(level)!.sort((a, b) => naturalCompare(gitlabNames.get(a)!, gitlabNames.get(b)!));
    for (const name of names) {
      const gitlabName = gitlabNames.get(name)!;
      const job = buildJob(name, stage);
      const { parts, bytes: jobBytes } = renderJob(gitlabName, job);
      // +1: the blank line between jobs.
      const size = jobBytes + 1;
      if (size > budget) {
        throw new SpacktainersError({
          code: "SPACK_JOB_TOO_LARGE",
          message: `job "${name}" alone is ${size} bytes of YAML, over the budget of ${settings.maxBytes} bytes per file; raise --max-bytes`,
          exitCode: 2,
        });
      }
      if (group.names.length > 0 && (group.names.length >= settings.maxJobs || bytes + size > budget))
        close();
      group.names.push(name);
      group.jobs.push({ name: gitlabName, job, parts });
      bytes += size;
    }
    if (group.names.length > 0) close();
    files.forEach((file, index) => {
      const several = files.length > 1;
      chunks.push({
        stage,
        names: file.names,
        path: `chunks/${stage}${several ? `-${index + 1}` : ""}.yml`,
        triggerName: `build ${stage}${several ? ` (${index + 1}/${files.length})` : ""} for ${settings.arch}`,
        text: file.text,
        bytes: file.bytes,
      });
    });
  }
  return chunks;
}
