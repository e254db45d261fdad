import type { Problem } from "@spacktainers/core";
import { copyWithoutSource } from "./copy-without-source.js";
import { createRebase } from "./create-rebase.js";
import { differingJobKeys, type SameValueMemo } from "./differing-job-keys.js";
import type { SpackContainer, SpackContainerPipeline, SpackJob } from "./parse-spack-pipeline.js";

/** A merged job: the copy kept plus what its other copies contribute. */
export type MergedJob = {
  name: string;
  /** The copy in the earliest stage (first container in natural order on a tie). */
  kept: SpackJob;
  /** The container of the kept copy. */
  pipeline: SpackContainer;
  /** Spack's needs on other build jobs, over all copies. */
  specNeeds: string[];
  /** Final stage index (≥ the earliest stage Spack gave it, and after every dependency); set by assignLevels. */
  level: number;
};

/** What {@link createJobMerger} returns once every pipeline was added. */
export type MergedJobs = {
  /** One job per name. */
  merged: Map<string, MergedJob>;
  /** Every container's `rebuild-index`, in container order. */
  rebuildIndexJobs: Array<{ job: SpackJob; pipeline: SpackContainer }>;
  /** Build jobs read over all files (a spec shared by N containers counts N times). */
  jobsRead: number;
  /** Container folders read. */
  containers: number;
  /** Containers with at least one spec to rebuild. */
  containersWithJobs: number;
  /** Copies that cannot be merged: another spec under the same name, or the same spec built differently. */
  problems: Problem[];
};

/** Paths under each container's artifacts root, mapped to one place so copies compare equal. */
const SAME_ROOT = "\u0000artifacts-root";

function conflict(
  job: SpackJob,
  pipeline: SpackContainer,
  kept: { job: SpackJob; pipeline: SpackContainer },
  keys: string[],
): Problem {
  const other = `${kept.pipeline.file}:${kept.job.locate().line}:${kept.job.locate().col}`;
  if (keys.length === 0) {
    return {
      code: "SPACK_JOB_HASH_CONFLICT",
      message: `job "${job.name}" has spec hash ${job.hash ?? "(none)"} here but ${kept.job.hash ?? "(none)"} in ${other}`,
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
 * Every copy must build the same spec the same way as the copy kept so far; each one that does
 * not is a problem. Pipelines are added one at a time, in natural order of the containers, and
 * only the copy kept of each job stays referenced: a caller that reads files one by one never
 * holds the copies it merged away.
 */
export function createJobMerger(): {
  add(pipeline: SpackContainerPipeline): void;
  finish(): MergedJobs;
} {
  const merged = new Map<string, MergedJob>();
  const result: MergedJobs = {
    merged,
    rebuildIndexJobs: [],
    jobsRead: 0,
    containers: 0,
    containersWithJobs: 0,
    problems: [],
  };
  const rebases = new Map<SpackContainer, (text: string) => string>();
  // Jobs whose specNeeds is their own list; the others still share their first copy's.
  const ownNeeds = new Set<MergedJob>();
  const compared: SameValueMemo = new WeakMap();
  const add = (pipeline: SpackContainerPipeline): void => {
    const copies = new Map<object, unknown>();
    // Only copies of what is kept: the parsed file, its text and the copies merged away can go.
    const keep = (job: SpackJob): SpackJob => {
      const body = copyWithoutSource(job.body, copies);
      return {
        ...job,
        body,
        ...(job.hash === undefined ? {} : { hash: copyWithoutSource(job.hash, copies) }),
      };
    };
    const { jobs, ...parsed } = pipeline;
    const container: SpackContainer = { ...parsed, variables: copyWithoutSource(parsed.variables, copies) };
    const rebase = createRebase(container.variables.SPACK_ARTIFACTS_ROOT ?? SAME_ROOT, SAME_ROOT);
    rebases.set(container, rebase);
    result.containers++;
    if (jobs.length > 0) result.containersWithJobs++;
    for (const job of jobs) {
      if (job.stageIndex === Number.POSITIVE_INFINITY) {
        result.rebuildIndexJobs.push({ job: keep(job), pipeline: container });
        continue;
      }
      result.jobsRead++;
      const existing = merged.get(job.name);
      if (!existing) {
        const kept = keep(job);
        merged.set(job.name, {
          name: job.name,
          kept,
          pipeline: container,
          specNeeds: kept.specNeeds,
          level: 0,
        });
        continue;
      }
      const keys =
        existing.kept.hash === job.hash
          ? differingJobKeys(existing.kept, rebases.get(existing.pipeline)!, job, rebase, compared)
          : [];
      if (existing.kept.hash !== job.hash || keys.length > 0) {
        result.problems.push(
          conflict(job, container, { job: existing.kept, pipeline: existing.pipeline }, keys),
        );
        continue;
      }
      for (const need of job.specNeeds) {
        if (existing.specNeeds.includes(need)) continue;
        if (!ownNeeds.has(existing)) {
          existing.specNeeds = [...existing.specNeeds];
          ownNeeds.add(existing);
        }
        existing.specNeeds.push(need);
      }
      if (job.stageIndex < existing.kept.stageIndex) {
        existing.kept = keep(job);
        existing.pipeline = container;
      }
    }
  };
  return { add, finish: () => result };
}
