import {
  checkPipeline,
  type GitlabPipeline,
  type GitlabScriptJob,
  naturalCompare,
  SpacktainersError,
} from "@spacktainers/core";
import { renderMappingYaml } from "./create-job-renderer.js";

/** The header of a chunk file: its stage and the variables every job shares. */
export function chunkHeader(stage: string, common: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(common).sort(([a], [b]) => naturalCompare(a, b)));
  return renderMappingYaml({
    stages: [stage],
    ...(Object.keys(common).length > 0 ? { variables: sorted } : {}),
  });
}

export interface RenderChunkFileOptions {
  /** `stage-<N>`. */
  stage: string;
  /** The header of the file ({@link chunkHeader}). */
  header: string;
  /** Variables every job shares (the header holds them). */
  common: Record<string, string>;
  /** The chunk's jobs in file order: the name GitLab shows, the job, the pieces of its text. */
  jobs: Array<{ name: string; job: GitlabScriptJob; parts: string[] }>;
}

/**
 * Step 6 of the split: one child pipeline file. A job's Spack needs all point to earlier stages
 * (they run in earlier child pipelines, which the trigger chain finishes first), so only the
 * cross-pipeline need remains. The text is what renderPipelineYaml writes for the same pipeline
 * (tests compare), assembled from per-job texts because rendering 10,000 jobs through the `yaml`
 * package takes seconds; checkPipeline still vets the file.
 */
export function renderChunkFile({ stage, header, common, jobs }: RenderChunkFileOptions): string {
  const pipelineJobs: GitlabPipeline["jobs"] = {};
  for (const { name, job } of jobs) pipelineJobs[name] = job;
  const problems = checkPipeline({ stages: [stage], variables: common, jobs: pipelineJobs });
  if (problems.length > 0) {
    throw new SpacktainersError({
      code: "PIPELINE_INVALID",
      message: `generated pipeline is invalid:\n- ${problems.join("\n- ")}`,
    });
  }
  // One join of every piece: the file's text is the only copy of its jobs' texts.
  const pieces = [header];
  for (const { parts } of jobs) pieces.push("\n", ...parts);
  return pieces.join("");
}
