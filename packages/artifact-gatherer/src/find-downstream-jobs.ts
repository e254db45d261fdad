import { naturalSort, SpacktainersError } from "@spacktainers/core";
import type { GitlabClient } from "./gitlab-client.js";

/** A job as "List pipeline jobs" returns it (only the fields we read). */
export type GitlabJobResponse = {
  id: number;
  name: string;
  status: string;
  created_at?: string;
  /** Files of the job's artifacts; the archive has `file_type: "archive"`. Empty once erased. */
  artifacts?: Array<{ file_type: string; size?: number; filename?: string; file_format?: string | null }>;
  /** When the artifacts expire; null when kept forever. */
  artifacts_expire_at?: string | null;
};

/** A bridge (trigger job) as "List pipeline bridges" returns it. */
export type GitlabBridgeResponse = {
  id: number;
  name: string;
  status: string;
  /** The pipeline the bridge started; null until it exists. */
  downstream_pipeline: { id: number; status?: string; project_id?: number } | null;
};

/** A job whose artifacts can be downloaded. */
export type DownstreamJob = {
  /** Job name as asked for. */
  name: string;
  /** Id of its latest attempt. */
  id: number;
  /** Attempts seen for this name (2 or more when retried). */
  attempts: number;
  /** Archive size GitLab reports, when it does. */
  archiveBytes: number | undefined;
  /** `artifacts_expire_at`, or null for never. */
  artifactsExpireAt: string | null;
};

/** The bridge, its downstream pipeline and the wanted jobs in it. */
export type DownstreamJobs = {
  bridge: { id: number; name: string; status: string };
  downstreamPipelineId: number;
  /** In the order asked for. */
  jobs: DownstreamJob[];
};

export interface FindDownstreamJobsOptions {
  client: GitlabClient;
  /** The pipeline holding the bridge (usually `CI_PIPELINE_ID`). */
  pipelineId: string;
  /** Name of the bridge (trigger job). */
  bridge: string;
  /** Names of the jobs wanted in the downstream pipeline. */
  jobs: readonly string[];
  /** The instant expiry is judged against. */
  now: Date;
}

const LISTED_NAMES = 40;

function listNames(names: Iterable<string>): string {
  const sorted = naturalSort([...new Set(names)]);
  if (sorted.length === 0) return "(none)";
  const shown = sorted.slice(0, LISTED_NAMES).map((n) => JSON.stringify(n));
  return `${shown.join(", ")}${sorted.length > LISTED_NAMES ? `, … and ${sorted.length - LISTED_NAMES} more` : ""}`;
}

/** The latest attempt of every name: a retried job keeps its name and gets a higher id. */
function latestByName<T extends { id: number; name: string }>(
  items: readonly T[],
): Map<string, { item: T; attempts: number }> {
  const latest = new Map<string, { item: T; attempts: number }>();
  for (const item of items) {
    const known = latest.get(item.name);
    if (!known) latest.set(item.name, { item, attempts: 1 });
    else
      latest.set(item.name, {
        item: item.id > known.item.id ? item : known.item,
        attempts: known.attempts + 1,
      });
  }
  return latest;
}

const UNFINISHED = new Set([
  "created",
  "waiting_for_resource",
  "preparing",
  "pending",
  "running",
  "scheduled",
  "manual",
]);

/**
 * Finds a bridge by name in a pipeline, its downstream pipeline, and the named jobs in it
 * (latest attempt of a retried job). Every problem is reported at once: unknown names (exit 2,
 * listing the names that exist), then failed or unfinished jobs and missing or expired
 * artifacts (exit 1).
 */
export async function findDownstreamJobs(options: FindDownstreamJobsOptions): Promise<DownstreamJobs> {
  const { client, pipelineId, now } = options;
  const bridges = latestByName(
    await client.listAll<GitlabBridgeResponse>(`/pipelines/${encodeURIComponent(pipelineId)}/bridges`),
  );
  const bridge = bridges.get(options.bridge)?.item;
  if (!bridge)
    throw new SpacktainersError({
      code: "GATHER_BRIDGE_UNKNOWN",
      exitCode: 2,
      message: `pipeline ${pipelineId} has no bridge (trigger job) named ${JSON.stringify(options.bridge)}. Bridges: ${listNames(bridges.keys())}.`,
    });
  if (!bridge.downstream_pipeline)
    throw new SpacktainersError({
      code: "GATHER_NO_DOWNSTREAM",
      message: `bridge ${JSON.stringify(bridge.name)} (job ${bridge.id}, ${bridge.status}) has not created a downstream pipeline; run this job after the bridge (needs: + strategy: depend).`,
    });
  const downstreamPipelineId = bridge.downstream_pipeline.id;
  // include_retried lists every attempt, so a retried job is seen (and its latest one taken)
  // whatever the GitLab version: before 13.5 retried jobs were always listed.
  const jobs = latestByName(
    await client.listAll<GitlabJobResponse>(`/pipelines/${downstreamPipelineId}/jobs`, {
      include_retried: "true",
    }),
  );
  const unknown = options.jobs.filter((name) => !jobs.has(name));
  if (unknown.length > 0)
    throw new SpacktainersError({
      code: "GATHER_JOB_UNKNOWN",
      exitCode: 2,
      message: `downstream pipeline ${downstreamPipelineId} of bridge ${JSON.stringify(bridge.name)} has no job named ${unknown.map((n) => JSON.stringify(n)).join(", ")}. Jobs: ${listNames(jobs.keys())}.`,
    });

  const problems: string[] = [];
  const found: DownstreamJob[] = [];
  for (const name of options.jobs) {
    const { item: job, attempts } = jobs.get(name)!;
    const label = `job ${JSON.stringify(name)} (${job.id}${attempts > 1 ? `, latest of ${attempts} attempts` : ""})`;
    const archive = job.artifacts?.find((a) => a.file_type === "archive");
    const expireAt = job.artifacts_expire_at ?? null;
    const expired = expireAt !== null && Date.parse(expireAt) <= now.getTime();
    if (job.status !== "success")
      problems.push(
        `${label} is ${job.status}${UNFINISHED.has(job.status) ? " (not finished)" : ""}; only a successful job's artifacts are gathered`,
      );
    else if (expired) problems.push(`${label}: its artifacts expired at ${expireAt}`);
    else if (!archive)
      problems.push(`${label} has no artifacts archive (declare artifacts: paths: in the job)`);
    found.push({ name, id: job.id, attempts, archiveBytes: archive?.size, artifactsExpireAt: expireAt });
  }
  if (problems.length > 0)
    throw new SpacktainersError({
      code: "GATHER_JOB_UNUSABLE",
      message: `cannot gather from downstream pipeline ${downstreamPipelineId}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    });
  return {
    bridge: { id: bridge.id, name: bridge.name, status: bridge.status },
    downstreamPipelineId,
    jobs: found,
  };
}
