import type { GitlabScriptJob } from "@spacktainers/core";

/** Variables with the same value in every job (they go once to the top of each file). */
export function commonVariables(jobs: GitlabScriptJob[]): Record<string, string> {
  if (jobs.length === 0) return {};
  const common: Record<string, string> = { ...jobs[0]!.variables };
  for (const job of jobs) {
    for (const [key, value] of Object.entries(common)) if (job.variables?.[key] !== value) delete common[key];
  }
  return common;
}
