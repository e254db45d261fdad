import {
  checkPipeline,
  GITLAB_LIMITS,
  type GitlabPipeline,
  type GitlabScriptJob,
  SpacktainersError,
} from "@spacktainers/core";
import { type Chunk, chunkHeader } from "./chunk-stages.js";

/** One file written. */
export type SplitFile = {
  /** Path relative to the output directory. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Jobs in it. */
  jobs: number;
};

export interface RenderChunkFilesOptions {
  chunks: Chunk[];
  /** Spack job name → the job we write. */
  jobs: Map<string, GitlabScriptJob>;
  /** Spack job name → the name GitLab shows. */
  gitlabNames: Map<string, string>;
  /** Variables every job shares. */
  common: Record<string, string>;
}

/**
 * Step 6 of the split: the child pipeline files. A job's Spack needs all point to earlier
 * stages (they run in earlier child pipelines, which the trigger chain finishes first), so only
 * the cross-pipeline need remains. The text is what renderPipelineYaml writes for the same
 * pipeline (tests compare), assembled from per-job texts because rendering 10 000 jobs through
 * the `yaml` package takes seconds; checkPipeline still vets every file.
 */
export function renderChunkFiles({ chunks, jobs, gitlabNames, common }: RenderChunkFilesOptions): {
  files: Record<string, string>;
  summaryFiles: SplitFile[];
} {
  if (chunks.length + 1 > GITLAB_LIMITS.maxDownstreamPipelines) {
    throw new SpacktainersError({
      code: "TOO_MANY_CHILD_PIPELINES",
      message: `${chunks.length} child pipelines exceed GitLab's ${GITLAB_LIMITS.maxDownstreamPipelines} downstream pipelines; raise --max-jobs or --max-bytes`,
      exitCode: 2,
    });
  }
  const files: Record<string, string> = {};
  const summaryFiles: SplitFile[] = [];
  for (const chunk of chunks) {
    const pipelineJobs: GitlabPipeline["jobs"] = {};
    for (const name of chunk.names) pipelineJobs[gitlabNames.get(name)!] = jobs.get(name)!;
    const problems = checkPipeline({ stages: [chunk.stage], variables: common, jobs: pipelineJobs });
    if (problems.length > 0) {
      throw new SpacktainersError({
        code: "PIPELINE_INVALID",
        message: `generated pipeline is invalid:\n- ${problems.join("\n- ")}`,
      });
    }
    const text = `${chunkHeader(chunk.stage, common)}\n${chunk.texts.join("\n")}`;
    files[chunk.path] = text;
    summaryFiles.push({ path: chunk.path, bytes: Buffer.byteLength(text), jobs: chunk.names.length });
  }
  return { files, summaryFiles };
}
