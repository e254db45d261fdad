import {
  checkPipeline,
  type GitlabPipeline,
  type GitlabScriptJob,
  naturalCompare,
  SpacktainersError,
} from "@spacktainers/core";
import { orderJobKeys, renderMappingYaml } from "./create-job-renderer.js";

/**
 * The header of a chunk file: its stage, the variables every job shares and the keywords every
 * job shares (`default:`, in the order jobs write them).
 */
export function chunkHeader(
  stage: string,
  common: Record<string, string>,
  defaults: Record<string, unknown> = {},
): string {
  const sorted = Object.fromEntries(Object.entries(common).sort(([a], [b]) => naturalCompare(a, b)));
  return renderMappingYaml({
    stages: [stage],
    ...(Object.keys(common).length > 0 ? { variables: sorted } : {}),
    ...(Object.keys(defaults).length > 0 ? { default: orderJobKeys(defaults) } : {}),
  });
}

export interface RenderChunkFileOptions {
  /** `stage-<N>`. */
  stage: string;
  /** The header of the file ({@link chunkHeader}). */
  header: string;
  /** Variables every job shares (the header holds them). */
  common: Record<string, string>;
  /** Keywords every job shares (the header's `default:`). */
  defaults?: Record<string, unknown>;
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
export function renderChunkFile({ stage, header, common, defaults, jobs }: RenderChunkFileOptions): string {
  const pipelineJobs: GitlabPipeline["jobs"] = {};
  for (const { name, job } of jobs) pipelineJobs[name] = job;
  const problems = checkPipeline({
    stages: [stage],
    variables: common,
    default: defaults,
    jobs: pipelineJobs,
  });
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
