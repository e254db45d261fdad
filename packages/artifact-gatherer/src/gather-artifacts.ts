import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { mapWithConcurrency, naturalCompare, SpacktainersError } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { type ExtractedFile, extractZipSafely } from "./extract-zip-safely.js";
import { type DownstreamJob, findDownstreamJobs } from "./find-downstream-jobs.js";
import type { DownloadResult, GitlabClient } from "./gitlab-client.js";
import { type DotenvVariable, renderDotenv } from "./render-dotenv.js";

/** Name of the archive file when it is kept rather than extracted. */
export const ARCHIVE_FILE_NAME = "artifacts.zip";
/** Default cap on bytes extracted in one run (sum over every archive). */
export const DEFAULT_MAX_EXTRACTED_BYTES = 4 * 1024 ** 3;

/** A job to gather and where its artifacts go. */
export type GatherTarget = {
  /** Job name in the downstream pipeline. */
  job: string;
  /** Folder (absolute, or relative to `cwd`) that receives `artifacts.zip`, or the extracted files. */
  directory: string;
};

/** A file the run wrote, relative to `cwd` with `/` separators. */
export type GatheredFile = { path: string; bytes: number; sha256: string };

/** What was gathered for one job. */
export type GatheredJob = {
  name: string;
  id: number;
  /** Attempts seen (2+ when the job was retried; the latest was taken). */
  attempts: number;
  /** The folder, relative to `cwd`. */
  directory: string;
  /** The downloaded archive (kept as `artifacts.zip` unless extracted). */
  archive: { bytes: number; sha256: string };
  /** Files written: the archive, or every extracted file. */
  files: GatheredFile[];
};

/** Result of a run. */
export type GatherResult = {
  /** The pipeline holding the bridge. */
  pipelineId: string;
  bridge: { id: number; name: string; status: string };
  downstreamPipelineId: number;
  jobs: GatheredJob[];
  /** The dotenv report, when one was asked for. */
  dotenv?: { path: string; variables: number; bytes: number };
};

/** Progress events (libraries never print; the CLI logs these). */
export type GatherProgressEvent =
  | { type: "resolved"; bridge: string; downstreamPipelineId: number; jobs: DownstreamJob[] }
  | { type: "downloaded"; job: string; id: number; bytes: number }
  | { type: "extracted"; job: string; files: number; bytes: number };

export interface GatherArtifactsOptions {
  client: GitlabClient;
  /** Pipeline holding the bridge (`CI_PIPELINE_ID`). */
  pipelineId: string;
  /** Bridge (trigger job) name. */
  bridge: string;
  /** Jobs to gather, in order; a job name may appear once. */
  targets: readonly GatherTarget[];
  /** Base of relative directories and of reported paths. */
  cwd: string;
  /** Extract each archive into its folder instead of keeping `artifacts.zip`. */
  extract?: boolean;
  /** Cap on the bytes extracted over the whole run (default 4 GiB). */
  maxExtractedBytes?: number;
  /** Parallel downloads (default 4). */
  concurrency?: number;
  /** A dotenv report to write after a successful run. */
  dotenv?: { file: string; variables: readonly DotenvVariable[] };
  /** The instant artifact expiry is judged against. */
  now: Date;
  onProgress?: (event: GatherProgressEvent) => void;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

function checkTargets(targets: readonly GatherTarget[], cwd: string, extract: boolean): void {
  const problems: string[] = [];
  const jobs = new Set<string>();
  const directories = new Map<string, string>();
  if (targets.length === 0) problems.push("no job given");
  for (const { job, directory } of targets) {
    if (job.trim() === "") problems.push(`empty job name (directory ${JSON.stringify(directory)})`);
    if (jobs.has(job)) problems.push(`job ${JSON.stringify(job)} given twice`);
    jobs.add(job);
    const absolute = resolve(cwd, directory);
    const other = directories.get(absolute);
    // Two archives in one folder would both be artifacts.zip; extracted trees may share a
    // folder (a collision between their files is checked after extraction).
    if (other !== undefined && !extract)
      problems.push(
        `jobs ${JSON.stringify(other)} and ${JSON.stringify(job)} both write ${toPosix(relative(cwd, join(absolute, ARCHIVE_FILE_NAME)))}; give each its own folder or use --extract`,
      );
    directories.set(absolute, job);
  }
  if (problems.length > 0)
    throw new SpacktainersError({
      code: "GATHER_TARGETS_INVALID",
      exitCode: 2,
      message: `invalid jobs to gather:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Renames every file of `from` (recursively) into `to`, replacing files already there. */
async function moveTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(target, { recursive: true });
      await moveTree(source, target);
    } else await rename(source, target);
  }
}

/** A job and the folder its artifacts go to (absolute). */
type GatherWork = { job: DownstreamJob; directory: string };

/** A job whose archive is downloaded (and extracted) into its staging folder. */
type StagedJob = GatherWork & {
  /** Staging folder beside `directory`, holding the archive and, extracted, `tree/`. */
  stage: string;
  download: DownloadResult;
  /** The extracted files, when extracting. */
  files: ExtractedFile[] | undefined;
};

/** Creates the missing folders, recording in `created` the top of each new tree (to remove it on failure). */
async function createDirectories(directories: readonly string[], created: string[]): Promise<void> {
  for (const directory of directories) {
    if (await exists(directory)) continue;
    let top = directory;
    while (!(await exists(dirname(top)))) top = dirname(top);
    await mkdir(directory, { recursive: true });
    created.push(top);
  }
}

interface StageArtifactsOptions {
  client: GitlabClient;
  work: readonly GatherWork[];
  extract: boolean;
  concurrency: number;
  maxExtractedBytes: number;
  /** Receives each staging folder as it is made, for the caller to remove. */
  staging: string[];
  onProgress: ((event: GatherProgressEvent) => void) | undefined;
}

/**
 * Downloads each archive into a staging folder beside its target (bounded concurrency) and
 * extracts it there when asked, within one byte budget for the whole run.
 */
async function stageArtifacts(options: StageArtifactsOptions): Promise<StagedJob[]> {
  const { client, extract, maxExtractedBytes, staging, onProgress } = options;
  let budget = maxExtractedBytes;
  return mapWithConcurrency(options.work, options.concurrency, async ({ job, directory }) => {
    // Staging beside the target keeps the final rename on one filesystem.
    const stage = await mkdtemp(join(directory, ".spacktainers-gather-"));
    staging.push(stage);
    const archive = join(stage, ARCHIVE_FILE_NAME);
    const download = await client.download(`/jobs/${job.id}/artifacts`, archive, job.archiveBytes);
    onProgress?.({ type: "downloaded", job: job.name, id: job.id, bytes: download.bytes });
    if (!extract) return { job, directory, stage, download, files: undefined };
    const label = `job ${JSON.stringify(job.name)} (${job.id})`;
    // The cap holds for the whole run: each archive gets what is left, and the total is
    // checked again after parallel extractions (staging is discarded on failure).
    const files = await extractZipSafely({
      archive,
      directory: join(stage, "tree"),
      maxBytes: budget,
      label,
    });
    const used = files.reduce((sum, f) => sum + f.bytes, 0);
    budget -= used;
    if (budget < 0)
      throw new SpacktainersError({
        code: "ARTIFACT_ARCHIVE_UNSAFE",
        message: `extracting ${label} exceeds the cap of ${maxExtractedBytes} bytes for the whole run.`,
        exitCode: 2,
      });
    onProgress?.({ type: "extracted", job: job.name, files: files.length, bytes: used });
    return { job, directory, stage, download, files };
  });
}

/** Refuses staged jobs whose files would land on the same path (two extracted archives). */
function checkCollisions(staged: readonly StagedJob[], cwd: string): void {
  const owners = new Map<string, string>();
  const collisions: string[] = [];
  for (const { job, directory, files } of staged) {
    for (const file of files ?? [{ path: ARCHIVE_FILE_NAME }]) {
      const path = join(directory, file.path);
      const owner = owners.get(path);
      if (owner !== undefined)
        collisions.push(
          `${toPosix(relative(cwd, path))}: in ${JSON.stringify(owner)} and ${JSON.stringify(job.name)}`,
        );
      owners.set(path, job.name);
    }
  }
  if (collisions.length > 0)
    throw new SpacktainersError({
      code: "GATHER_PATH_COLLISION",
      message: `artifacts of several jobs write the same files; nothing was written:\n${collisions.map((c) => `  - ${c}`).join("\n")}`,
    });
}

/** Moves every staged result in place (every job succeeded) and describes what was written. */
async function commitStaged(staged: readonly StagedJob[], cwd: string): Promise<GatheredJob[]> {
  const jobs: GatheredJob[] = [];
  for (const { job, directory, stage, download, files } of staged) {
    const prefix = (path: string) => toPosix(relative(cwd, join(directory, path)));
    if (files) await moveTree(join(stage, "tree"), directory);
    else await rename(join(stage, ARCHIVE_FILE_NAME), join(directory, ARCHIVE_FILE_NAME));
    jobs.push({
      name: job.name,
      id: job.id,
      attempts: job.attempts,
      directory: toPosix(relative(cwd, directory)) || ".",
      archive: download,
      files: files
        ? files.map((f) => ({ ...f, path: prefix(f.path) }))
        : [{ path: prefix(ARCHIVE_FILE_NAME), ...download }],
    });
  }
  for (const job of jobs) job.files.sort((a, b) => naturalCompare(a.path, b.path));
  return jobs;
}

/** Writes the dotenv report (already rendered and checked) atomically. */
async function writeDotenv(cwd: string, file: string, text: string, variables: number) {
  const path = resolve(cwd, file);
  await writeFileAtomic(path, text);
  return { path: toPosix(relative(cwd, path)), variables, bytes: Buffer.byteLength(text) };
}

/**
 * Gathers the artifacts of jobs of a bridge's downstream pipeline: resolves the jobs (every
 * problem at once), downloads each archive streaming into a staging folder beside its target
 * (bounded concurrency), extracts it safely when asked, and only when every job succeeded moves
 * the results in place and writes the dotenv report. On failure nothing is left behind.
 */
export async function gatherArtifacts(options: GatherArtifactsOptions): Promise<GatherResult> {
  const { client, cwd, targets, extract = false, concurrency = 4, onProgress } = options;
  checkTargets(targets, cwd, extract);
  // Validate the dotenv report before any network traffic: bad input fails fast.
  const dotenvText = options.dotenv ? renderDotenv(options.dotenv.variables) : undefined;

  const resolved = await findDownstreamJobs({
    client,
    pipelineId: options.pipelineId,
    bridge: options.bridge,
    jobs: targets.map((t) => t.job),
    now: options.now,
  });
  onProgress?.({
    type: "resolved",
    bridge: resolved.bridge.name,
    downstreamPipelineId: resolved.downstreamPipelineId,
    jobs: resolved.jobs,
  });

  const created: string[] = [];
  const staging: string[] = [];
  try {
    const work = resolved.jobs.map((job, index) => ({
      job,
      directory: resolve(cwd, targets[index]!.directory),
    }));
    await createDirectories(
      work.map(({ directory }) => directory),
      created,
    );
    const staged = await stageArtifacts({
      client,
      work,
      extract,
      concurrency,
      maxExtractedBytes: options.maxExtractedBytes ?? DEFAULT_MAX_EXTRACTED_BYTES,
      staging,
      onProgress,
    });
    checkCollisions(staged, cwd);
    const result: GatherResult = {
      pipelineId: options.pipelineId,
      bridge: resolved.bridge,
      downstreamPipelineId: resolved.downstreamPipelineId,
      jobs: await commitStaged(staged, cwd),
    };
    if (options.dotenv && dotenvText !== undefined)
      result.dotenv = await writeDotenv(
        cwd,
        options.dotenv.file,
        dotenvText,
        options.dotenv.variables.length,
      );
    return result;
  } catch (error) {
    for (const top of created.reverse()) await rm(top, { recursive: true, force: true });
    throw error;
  } finally {
    await Promise.all(staging.map((stage) => rm(stage, { recursive: true, force: true })));
    // A folder we created and left empty (for example after a failure) goes too.
    for (const top of created) await rmdir(top).catch(() => undefined);
  }
}
