import { readFile } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { deflateRawSync } from "node:zlib";
import {
  createGitlabClient,
  type GatherProgressEvent,
  type GatherResult,
  type GitlabRetryEvent,
  gatherArtifacts,
} from "@spacktainers/artifact-gatherer";
import { inGatherArtifact, OUT_PATHS, SpacktainersError } from "@spacktainers/core";

/**
 * GitLab includes a child pipeline's YAML from an artifact only when the job's archive is under
 * 5 MB (`Gitlab::Ci::ArtifactFileReader`); past it, every trigger of the parent fails.
 */
export const MAX_INCLUDE_ARCHIVE_BYTES = 5 * 1024 * 1024;

/** The gather job's artifact: the trigger YAML files and the zip the runner will make of them. */
export type GatherArtifact = {
  files: number;
  /** Bytes of the files. */
  bytes: number;
  /** Size of their zip archive, estimated with deflate and zip headers. */
  estimatedZipBytes: number;
  limitBytes: number;
};

/**
 * Estimates the zip archive of these files (paths relative to `root`): each deflated, plus
 * the local and central headers with their name and the end record. Runners zip with deflate
 * too; the estimate is close, not exact, so the check keeps a margin.
 */
export async function estimateZipBytes(root: string, paths: readonly string[]): Promise<number> {
  let total = 22;
  for (const path of paths) {
    const data = await readFile(resolve(root, path));
    // Stored when deflate does not help; 30 + 46 bytes of local and central header, the name in
    // each, and up to 64 bytes of extra fields (timestamps, Unix ids) that runners add.
    const body = Math.min(deflateRawSync(data).length, data.length);
    total += body + 30 + 46 + 2 * Buffer.byteLength(path) + 64;
  }
  return total;
}

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
  /** Environment with the proxy variables the GitLab client follows (default none: direct). */
  env?: Record<string, string | undefined>;
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
 * Fails when the YAML files kept as this job's artifact would zip past GitLab's 5 MB.
 */
export async function gatherPipelineArtifacts(
  options: GatherPipelineArtifactsOptions,
): Promise<GatherResult & { artifact: GatherArtifact }> {
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
    ...(options.env ? { env: options.env } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  let result: GatherResult;
  try {
    result = await gatherArtifacts({
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
  // Gathered paths are relative to the root with `/` separators.
  const out = relative(options.root, resolve(options.root, options.out)).split(sep).join("/");
  const kept = result.jobs
    .flatMap((job) => job.files)
    .filter((file) => file.path.startsWith(`${out}/`) && inGatherArtifact(file.path.slice(out.length + 1)));
  const artifact: GatherArtifact = {
    files: kept.length,
    bytes: kept.reduce((sum, file) => sum + file.bytes, 0),
    estimatedZipBytes: await estimateZipBytes(
      options.root,
      kept.map((file) => file.path),
    ),
    limitBytes: MAX_INCLUDE_ARCHIVE_BYTES,
  };
  // 10 % margin: the runner's deflate is not zlib's.
  if (artifact.estimatedZipBytes > MAX_INCLUDE_ARCHIVE_BYTES * 0.9) {
    const largest = [...kept].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
    throw new SpacktainersError({
      code: "GATHER_ARTIFACT_TOO_LARGE",
      message: `the gather job's artifact (${OUT_PATHS.gatherArtifacts.map((path) => `${out}/${path}`).join(", ")}: ${artifact.files} files, ${artifact.bytes} bytes) zips to about ${artifact.estimatedZipBytes} bytes, too close to or over the ${MAX_INCLUDE_ARCHIVE_BYTES} bytes GitLab accepts for an archive a trigger includes from: the child pipelines would not start. Largest: ${largest.map((file) => `${file.path} (${file.bytes} bytes)`).join(", ")}. Fewer containers per architecture, or a higher max_artifacts_content_include_size on a self-managed GitLab, lifts it.`,
    });
  }
  return { ...result, artifact };
}
