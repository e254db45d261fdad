import type { Warning } from "@spacktainers/core";
import type { SpackContainer, SpackJob } from "./parse-spack-pipeline.js";

/** One rebuild-index job: every container pushes to the arch's one cache; warn when they differ. */
export function pickRebuildIndex(
  jobs: Array<{ job: SpackJob; pipeline: SpackContainer }>,
  warnings: Warning[],
): { job: SpackJob; pipeline: SpackContainer } | undefined {
  const first = jobs[0];
  if (!first) return undefined;
  const script = JSON.stringify(first.job.body.script);
  for (const other of jobs.slice(1)) {
    if (JSON.stringify(other.job.body.script) !== script) {
      warnings.push({
        code: "SPACK_REBUILD_INDEX_DIFFERS",
        message: `rebuild-index differs from the one of ${first.pipeline.file}, which is the one kept; do the containers push to different mirrors?`,
        file: other.pipeline.file,
        ...other.job.locate(),
      });
    }
  }
  return first;
}
