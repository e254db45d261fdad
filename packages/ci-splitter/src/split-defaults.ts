import { GITLAB_LIMITS, type NumberRange } from "@spacktainers/core";

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

/**
 * What the numeric options accept: the CLI's flags parse with these ranges, and
 * `resolveSplitSettings` checks programmatic calls against them, so the two never disagree.
 */
export const SPLIT_OPTION_RANGES = {
  maxJobs: { min: 1, integer: true },
  maxBytes: { min: 1, integer: true },
  maxNeeds: { min: 1, integer: true },
  maxNameLength: { min: 1, integer: true },
  maxArtifactBytes: { min: 1, integer: true },
} as const satisfies Record<string, NumberRange>;

/** Path of the trigger pipeline inside the output directory. */
export const TRIGGER_PIPELINE_FILE = "pipeline.yml";

/**
 * Bounds on what the split reads from Spack's pipeline files, so that a runaway or hostile file
 * fails fast with a message instead of exhausting memory. Core's limits for repository YAML
 * (1 MiB, 1,000 aliases) are for hand-written files: Spack writes about 700 bytes and five to
 * seven aliases per job (`image: *a1`, `script: *a3`, …), so a 2,000-spec environment has a
 * 1.4 MB file with 12,000 aliases.
 */
export const SPACK_PIPELINE_LIMITS = {
  /** Bytes of one container's pipeline file: about 45,000 jobs, 20 times the largest real environment. */
  fileBytes: 32 * 1024 * 1024,
  /**
   * Values that aliases may add once expanded, per value written: Spack's anchors add about one
   * (0.9 on the benchmark input). Below core's `INPUT_LIMITS.yamlAliasExpansion` in all, any
   * expansion is accepted; above it, at most this many per value written, so the work and the
   * output stay proportional to the file (nine anchors of nine aliases each add 387 million).
   */
  aliasExpansionPerValue: 10,
} as const;
