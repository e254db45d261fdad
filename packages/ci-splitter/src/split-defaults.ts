import { GITLAB_LIMITS } from "@spacktainers/core";

/** Defaults of the budgets (GitLab's limits with a wide margin). */
export const SPLIT_DEFAULTS = {
  /** Jobs per child pipeline file. */
  maxJobs: 500,
  /** Bytes of YAML per file on disk (GitLab's 2 MB limit is measured in memory, several times larger). */
  maxBytes: 512 * 1024,
  /** `needs:` entries per job (GitLab: 50). */
  maxNeeds: GITLAB_LIMITS.maxNeedsPerJob,
  /** Characters of a job name (GitLab: 255). */
  maxNameLength: GITLAB_LIMITS.maxJobNameLength,
  /** Uncompressed bytes of child YAML one collect job republishes (GitLab: a 5 MB archive). */
  maxArtifactBytes: GITLAB_LIMITS.maxChildArtifactBytes,
  /** Timeout of a build job. */
  timeout: "4h",
  /** Image pull policy of build jobs. */
  pullPolicy: "always",
} as const;

/** Path of the trigger pipeline inside the output directory. */
export const TRIGGER_PIPELINE_FILE = "pipeline.yml";
