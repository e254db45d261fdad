import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  createGitlabClient,
  type GatherProgressEvent,
  type GatherResult,
  type GitlabRetryEvent,
  gatherArtifacts,
} from "@spacktainers/artifact-gatherer";
import { SpacktainersError } from "@spacktainers/core";
import { OUT_PATHS } from "./job-names.js";

/** The gather manifest `generate` writes: which jobs of which bridge to fetch. */
export type GatherManifest = { bridge: string; jobs: Array<{ job: string; paths: string[] }> };

export interface GatherPipelineArtifactsOptions {
  /** Repository root: archives are extracted here, so files land at their original paths. */
  root: string;
  /** Output folder holding `gather.json` (relative to root). */
  out: string;
  /** The parent pipeline (`CI_PIPELINE_ID`). */
  pipelineId: string;
  /** `CI_API_V4_URL`. */
  apiUrl: string;
  /** `CI_PROJECT_ID`. */
  projectId: string;
  /** A token with read_api (never printed). */
  token: string;
  /** Judge artifact expiry against this instant. */
  now: Date;
  /** Progress and retries, for the CLI to log. */
  onProgress?: (event: GatherProgressEvent) => void;
  onRetry?: (event: GitlabRetryEvent) => void;
}

/**
 * The parent's `gather` job: reads `gather.json`, finds pipeline A through its bridge and fetches
 * the split pipelines and container pipelines, extracting each archive at the repository root so
 * every file lands at the path the child job wrote it to (and child pipelines include them as
 * artifacts of this job). Safe extraction and all-or-nothing come from the artifact gatherer.
 */
export async function gatherPipelineArtifacts(
  options: GatherPipelineArtifactsOptions,
): Promise<GatherResult> {
  const manifestPath = resolve(options.root, options.out, OUT_PATHS.gatherManifest);
  let manifest: GatherManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, "utf8")) as GatherManifest;
  } catch (error) {
    throw new SpacktainersError({
      code: "GATHER_MANIFEST_UNREADABLE",
      exitCode: 2,
      message: `cannot read ${manifestPath}: ${(error as Error).message}. It is written by 'spacktainers generate'; the gather job must receive the generate job's artifacts.`,
      cause: error,
    });
  }
  const client = createGitlabClient({
    apiUrl: options.apiUrl,
    projectId: options.projectId,
    token: options.token,
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  try {
    return await gatherArtifacts({
      client,
      pipelineId: options.pipelineId,
      bridge: manifest.bridge,
      targets: manifest.jobs.map(({ job }) => ({ job, directory: "." })),
      cwd: options.root,
      extract: true,
      now: options.now,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await client.close();
  }
}
