import type { Problem } from "@spacktainers/core";
import { createRebase } from "./create-rebase.js";
import { differingJobKeys } from "./differing-job-keys.js";
import type { SpackContainerPipeline, SpackJob } from "./parse-spack-pipeline.js";

/** A merged job: the copy kept plus what its other copies contribute. */
export type MergedJob = {
  name: string;
  /** The copy in the earliest stage (first container in natural order on a tie). */
  kept: SpackJob;
  /** The pipeline of the kept copy. */
  pipeline: SpackContainerPipeline;
  /** Spack's needs on other build jobs, over all copies. */
  specNeeds: Set<string>;
  /** Final stage index (≥ the earliest stage Spack gave it, and after every dependency); set by assignLevels. */
  level: number;
};

/** What {@link mergeJobs} returns. */
export type MergedJobs = {
  /** One job per name. */
  merged: Map<string, MergedJob>;
  /** Every container's `rebuild-index`, in container order. */
  rebuildIndexJobs: Array<{ job: SpackJob; pipeline: SpackContainerPipeline }>;
  /** Build jobs read over all files (a spec shared by N containers counts N times). */
  jobsRead: number;
  /** Copies that cannot be merged: another spec under the same name, or the same spec built differently. */
  problems: Problem[];
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function specNeedNames(job: SpackJob): string[] {
  const needs = Array.isArray(job.body.needs) ? job.body.needs : [];
  const names: string[] = [];
  for (const need of needs) {
    if (typeof need === "string") names.push(need);
    // A need with `pipeline:` is Spack's need on its own generate job; ours replaces it.
    else if (isRecord(need) && typeof need.job === "string" && need.pipeline === undefined)
      names.push(need.job);
  }
  return names;
}

/** Paths under each container's artifacts root, mapped to one place so copies compare equal. */
const SAME_ROOT = "\u0000artifacts-root";

function conflict(
  job: SpackJob,
  pipeline: SpackContainerPipeline,
  first: { job: SpackJob; pipeline: SpackContainerPipeline },
  keys: string[],
): Problem {
  const other = `${first.pipeline.file}:${first.job.locate().line}:${first.job.locate().col}`;
  if (keys.length === 0) {
    return {
      code: "SPACK_JOB_HASH_CONFLICT",
      message: `job "${job.name}" has spec hash ${job.hash ?? "(none)"} here but ${first.job.hash ?? "(none)"} in ${other}`,
      hint: "two containers concretized different specs under one name; regenerate both pipelines",
      file: pipeline.file,
      ...job.locate(),
    };
  }
  return {
    code: "SPACK_JOB_CONTENT_CONFLICT",
    message: `job "${job.name}" (spec hash ${job.hash ?? "(none)"}) differs from its copy in ${other} in ${keys.join(", ")}; one spec is built once, and the split cannot tell which copy is right`,
    hint: "the containers' pipelines were generated with different `ci:` settings; make them agree (site template or the containers' spack.yaml) and regenerate",
    file: pipeline.file,
    ...job.locate(),
  };
}

/**
 * Step 1 of the split: one job per name, kept in its earliest stage (first container on a tie).
 * Every copy must build the same spec the same way; each one that does not is a problem.
 */
export function mergeJobs(pipelines: SpackContainerPipeline[]): MergedJobs {
  const merged = new Map<string, MergedJob>();
  const first = new Map<string, { job: SpackJob; pipeline: SpackContainerPipeline }>();
  const problems: Problem[] = [];
  const rebuildIndexJobs: MergedJobs["rebuildIndexJobs"] = [];
  const rebases = new Map<SpackContainerPipeline, (text: string) => string>();
  const rebaseOf = (pipeline: SpackContainerPipeline) => {
    let rebase = rebases.get(pipeline);
    if (!rebase) {
      rebase = createRebase(pipeline.variables.SPACK_ARTIFACTS_ROOT!, SAME_ROOT);
      rebases.set(pipeline, rebase);
    }
    return rebase;
  };
  let jobsRead = 0;
  for (const pipeline of pipelines) {
    for (const job of pipeline.jobs) {
      if (job.stageIndex === Number.POSITIVE_INFINITY) {
        rebuildIndexJobs.push({ job, pipeline });
        continue;
      }
      jobsRead++;
      const existing = merged.get(job.name);
      if (!existing) {
        merged.set(job.name, {
          name: job.name,
          kept: job,
          pipeline,
          specNeeds: new Set(specNeedNames(job)),
          level: 0,
        });
        first.set(job.name, { job, pipeline });
        continue;
      }
      const original = first.get(job.name)!;
      const keys =
        existing.kept.hash === job.hash
          ? differingJobKeys(original.job, rebaseOf(original.pipeline), job, rebaseOf(pipeline))
          : [];
      if (existing.kept.hash !== job.hash || keys.length > 0) {
        problems.push(conflict(job, pipeline, original, keys));
        continue;
      }
      for (const need of specNeedNames(job)) existing.specNeeds.add(need);
      if (job.stageIndex < existing.kept.stageIndex) {
        existing.kept = job;
        existing.pipeline = pipeline;
      }
    }
  }
  return { merged, rebuildIndexJobs, jobsRead, problems };
}
