/**
 * A small typed model of the GitLab CI YAML we emit (https://docs.gitlab.com/ci/yaml/). Only
 * the keywords we use are typed; the writer puts keys in a stable order.
 */

/** A `needs:` entry: a job name, or a job in this or another pipeline. */
export type GitlabNeed =
  | string
  | {
      /** Name of the job needed. */
      job: string;
      /** Download its artifacts (default true in GitLab). */
      artifacts?: boolean;
      /** Do not fail when the job is absent from the pipeline. */
      optional?: boolean;
      /** Pipeline id of a job in another pipeline of the same project (cross-pipeline need, e.g. `$PARENT_PIPELINE_ID`). */
      pipeline?: string;
    };

/** A job's image. */
export type GitlabImage =
  | string
  | {
      name: string;
      pull_policy?: "always" | "if-not-present" | "never" | Array<"always" | "if-not-present">;
      entrypoint?: string[];
    };

/** A `rules:` entry. */
export type GitlabRule = {
  /** Condition on variables. */
  if?: string;
  /** Run when any of these files exist. */
  exists?: string[];
  /** Run when any of these files changed. */
  changes?: string[];
  /** When to run if the rule matches. */
  when?: "on_success" | "always" | "never" | "manual" | "delayed" | "on_failure";
  /** Variables set when the rule matches. */
  variables?: Record<string, string>;
  /** Allow failure when the rule matches. */
  allow_failure?: boolean;
};

/** `retry:` with the failure reasons that trigger it. */
export type GitlabRetry = {
  /** Retries after the first attempt (0–2). */
  max: 0 | 1 | 2;
  /** Failure reasons that retry; we never list `script_failure`. */
  when?: string[];
};

/** Job artifacts. */
export type GitlabArtifacts = {
  /** Paths to keep. */
  paths?: string[];
  /** Paths to leave out. */
  exclude?: string[];
  /** When to upload. */
  when?: "on_success" | "on_failure" | "always";
  /** How long to keep (e.g. `1 week`). */
  expire_in?: string;
  /** Reports such as `dotenv`. */
  reports?: Record<string, string | string[]>;
  /** Archive name. */
  name?: string;
};

/** Keys both jobs and trigger jobs may carry. */
type JobCommon = {
  /** Stage the job belongs to; must be listed in the pipeline's `stages`. */
  stage: string;
  /** Jobs this one waits for (at most 50). */
  needs?: GitlabNeed[];
  /** Conditions. */
  rules?: GitlabRule[];
  /** Variables of this job (names and non-secret values only). */
  variables?: Record<string, string>;
  /** When to run. */
  when?: "on_success" | "always" | "never" | "manual" | "delayed" | "on_failure";
  /** Let the pipeline pass when this job fails. */
  allow_failure?: boolean;
  /** Job may be cancelled when a newer pipeline starts. */
  interruptible?: boolean;
};

/** A job that runs a script. */
export type GitlabScriptJob = JobCommon & {
  /** Image the job runs in. */
  image?: GitlabImage;
  /** Runner tags. */
  tags?: string[];
  /** Shell lines run before `script`. */
  before_script?: string[];
  /** Shell lines. */
  script: string[];
  /** Shell lines run after `script`, even on failure. */
  after_script?: string[];
  /** Artifacts kept after the job. */
  artifacts?: GitlabArtifacts;
  /** Jobs whose artifacts to fetch (empty list: none). */
  dependencies?: string[];
  /** Retries on infrastructure failures. */
  retry?: GitlabRetry;
  /** Timeout such as `2h` or `30m`. */
  timeout?: string;
  /** Only one job of this group runs at a time. */
  resource_group?: string;
  /** Service containers. */
  services?: GitlabImage[];
  /** Keywords we pass through unchanged from Spack's own jobs. */
  [keyword: string]: unknown;
};

/** A trigger job starting a downstream (child) pipeline. */
export type GitlabTriggerJob = JobCommon & {
  /** The child pipeline. `strategy: depend` makes this job fail when the child fails. */
  trigger: {
    include?: Array<{ artifact: string; job: string } | { local: string }> | string;
    strategy?: "depend";
    forward?: { yaml_variables?: boolean; pipeline_variables?: boolean };
  };
};

/** A job of either kind. */
export type GitlabJob = GitlabScriptJob | GitlabTriggerJob;

/** A whole pipeline file. */
export type GitlabPipeline = {
  /**
   * Stages in execution order. When omitted, the writer uses every stage that jobs name, in
   * natural order (`stage-2` before `stage-10`).
   */
  stages?: string[];
  /** Global variables. */
  variables?: Record<string, string>;
  /** `workflow:` (rules, name). */
  workflow?: Record<string, unknown>;
  /** `default:` keywords for every job. */
  default?: Record<string, unknown>;
  /** Hidden jobs (names starting with `.`) that jobs name in `extends:`, written before the jobs. */
  templates?: Record<string, Record<string, unknown>>;
  /** Jobs by name. */
  jobs: Record<string, GitlabJob>;
};

/** True for a trigger job. */
export function isTriggerJob(job: GitlabJob): job is GitlabTriggerJob {
  return "trigger" in job && job.trigger !== undefined;
}
