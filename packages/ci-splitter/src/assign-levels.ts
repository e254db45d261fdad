import { InputInvalidError, naturalCompare, type Warning } from "@spacktainers/core";
import type { MergedJob } from "./create-job-merger.js";

/**
 * Step 2 of the split: a job runs after every job it needs. A dependency kept in a later stage
 * (its copy in another container was generated against a different cache state) pushes the job
 * down (warning `SPACK_JOB_MOVED`). Sets `level` of every job; returns the names in natural
 * order. Throws {@link InputInvalidError} on a cycle of needs.
 */
export function assignLevels(merged: Map<string, MergedJob>, warnings: Warning[]): string[] {
  // Level of each job placed; VISITING while the jobs it needs are placed (a cycle if met again).
  const VISITING = -1;
  const levels = new Map<string, number>();
  const levelOf = (name: string): number => {
    const known = levels.get(name);
    if (known !== undefined && known !== VISITING) return known;
    const job = merged.get(name)!;
    if (known === VISITING) {
      throw new InputInvalidError({
        code: "SPACK_PIPELINE_INVALID",
        problems: [
          {
            code: "SPACK_NEEDS_CYCLE",
            message: `job "${name}" needs itself through other jobs`,
            file: job.pipeline.file,
            ...job.kept.locate(),
          },
        ],
      });
    }
    levels.set(name, VISITING);
    let level = job.kept.stageIndex;
    for (const need of job.specNeeds) if (merged.has(need)) level = Math.max(level, levelOf(need) + 1);
    levels.set(name, level);
    if (level !== job.kept.stageIndex) {
      warnings.push({
        code: "SPACK_JOB_MOVED",
        message: `job "${name}" moved from stage-${job.kept.stageIndex} to stage-${level} to run after the jobs it needs`,
        file: job.pipeline.file,
        ...job.kept.locate(),
      });
    }
    return level;
  };
  const names = [...merged.keys()].sort(naturalCompare);
  for (const name of names) merged.get(name)!.level = levelOf(name);
  return names;
}
