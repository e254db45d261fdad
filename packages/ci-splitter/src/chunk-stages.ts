import { type GitlabScriptJob, naturalCompare, renderYaml, SpacktainersError } from "@spacktainers/core";
import { createJobRenderer } from "./create-job-renderer.js";
import type { SplitSettings } from "./resolve-split-settings.js";

/** One child pipeline: jobs of one stage under the job and byte budgets. */
export type Chunk = {
  /** `stage-<N>`. */
  stage: string;
  /** Spack's names of its jobs. */
  names: string[];
  /** Each job's YAML (`<gitlab name>:` and its body). */
  texts: string[];
  /** Path in the output directory, `chunks/stage-<N>[-<k>].yml`. */
  path: string;
  /** Name of the trigger job that runs it. */
  triggerName: string;
};

export interface ChunkStagesOptions {
  /** Spack job name → stage index, for every job. */
  levels: Map<string, number>;
  /** Spack job name → the job we write. */
  jobs: Map<string, GitlabScriptJob>;
  /** Spack job name → the name GitLab shows. */
  gitlabNames: Map<string, string>;
  /** Variables every job shares (the file header holds them). */
  common: Record<string, string>;
  settings: SplitSettings;
}

/** The header of a chunk file: its stage and the variables every job shares. */
export function chunkHeader(stage: string, common: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(common).sort(([a], [b]) => naturalCompare(a, b)));
  return renderYaml({ stages: [stage], ...(Object.keys(common).length > 0 ? { variables: sorted } : {}) });
}

/**
 * Step 5 of the split: the stages in order, each cut into chunks under `maxJobs` jobs and
 * `maxBytes` bytes, jobs in natural order of the names GitLab shows (the order
 * renderPipelineYaml writes them in). Renders each job once; the chunk files are assembled
 * from these texts.
 */
export function chunkStages({ levels, jobs, gitlabNames, common, settings }: ChunkStagesOptions): Chunk[] {
  const byLevel = new Map<number, string[]>();
  for (const [name, level] of levels) {
    const list = byLevel.get(level);
    if (list) list.push(name);
    else byLevel.set(level, [name]);
  }
  const renderJob = createJobRenderer();
  const chunks: Chunk[] = [];
  for (const level of [...byLevel.keys()].sort((a, b) => a - b)) {
    const stage = `stage-${level}`;
    const budget = settings.maxBytes - Buffer.byteLength(chunkHeader(stage, common));
    const groups: Array<{ names: string[]; texts: string[] }> = [];
    let current: { names: string[]; texts: string[] } = { names: [], texts: [] };
    let bytes = 0;
    const stageNames = byLevel
      .get(level)!
      .sort((a, b) => naturalCompare(gitlabNames.get(a)!, gitlabNames.get(b)!));
    for (const name of stageNames) {
      const job = jobs.get(name)!;
      job.stage = stage;
      const text = renderJob(gitlabNames.get(name)!, job);
      // +1: the blank line between jobs.
      const size = Buffer.byteLength(text) + 1;
      if (size > budget) {
        throw new SpacktainersError({
          code: "SPACK_JOB_TOO_LARGE",
          message: `job "${name}" alone is ${size} bytes of YAML, over the budget of ${settings.maxBytes} bytes per file; raise --max-bytes`,
          exitCode: 2,
        });
      }
      if (current.names.length > 0 && (current.names.length >= settings.maxJobs || bytes + size > budget)) {
        groups.push(current);
        current = { names: [], texts: [] };
        bytes = 0;
      }
      current.names.push(name);
      current.texts.push(text);
      bytes += size;
    }
    if (current.names.length > 0) groups.push(current);
    groups.forEach((group, index) => {
      const several = groups.length > 1;
      chunks.push({
        stage,
        names: group.names,
        texts: group.texts,
        path: `chunks/${stage}${several ? `-${index + 1}` : ""}.yml`,
        triggerName: `build ${stage}${several ? ` (${index + 1}/${groups.length})` : ""} for ${settings.arch}`,
      });
    });
  }
  return chunks;
}
