import type { GitlabRetry } from "./pipeline-model.js";

/** GitLab limits our pipelines must respect (GitLab docs, "CI/CD limits" and keyword reference). */
export const GITLAB_LIMITS = {
  /** Job names longer than this are refused. */
  maxJobNameLength: 255,
  /** `needs:` entries per job. */
  maxNeedsPerJob: 50,
  /** Levels of child pipelines below the parent. */
  maxNestingBelowParent: 2,
  /** Downstream pipelines in one pipeline hierarchy. */
  maxDownstreamPipelines: 1000,
  /** Default max size of a parsed YAML config (measured in memory, so we budget far below). */
  maxYamlBytes: 2 * 1024 * 1024,
  /** An artifact archive that carries a child pipeline's YAML must stay under this. */
  maxChildArtifactBytes: 5 * 1024 * 1024,
  /** Variables in a dotenv report. */
  maxDotenvVariables: 20,
  /** Bytes of a dotenv report. */
  maxDotenvBytes: 5120,
} as const;

/**
 * Failure reasons that are the infrastructure's fault, not the job's. We retry on these and
 * never on `script_failure` (a real build error must not run three times).
 */
export const INFRASTRUCTURE_FAILURE_REASONS = [
  "api_failure",
  "data_integrity_failure",
  "runner_system_failure",
  "scheduler_failure",
  "stuck_or_timeout_failure",
  "unknown_failure",
] as const;

/** The `retry:` every job we emit gets. */
export function infrastructureRetry(max: 1 | 2 = 2): GitlabRetry {
  return { max, when: [...INFRASTRUCTURE_FAILURE_REASONS] };
}
