import {
  type GitlabImage,
  type GitlabNeed,
  type GitlabScriptJob,
  infrastructureRetry,
} from "@spacktainers/core";
import { createRebase } from "./create-rebase.js";
import type { SpackContainer, SpackJob } from "./parse-spack-pipeline.js";
import type { SplitSettings } from "./resolve-split-settings.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toImage(image: unknown, pullPolicy: "always" | "if-not-present"): GitlabImage | undefined {
  if (typeof image === "string") return { name: image, pull_policy: pullPolicy };
  if (isRecord(image) && typeof image.name === "string") {
    return { ...(image as { name: string }), pull_policy: pullPolicy };
  }
  return undefined;
}

function rebaseList(value: unknown, rebase: (text: string) => string): string[] | undefined {
  return Array.isArray(value) ? value.map((line) => rebase(String(line))) : undefined;
}

/** Variables that give Spack's S3 client the cache bucket's credentials, by reference only. */
function credentialVariables(settings: SplitSettings): Record<string, string> {
  const bucket = settings.architecture.cache_bucket;
  const variables: Record<string, string> = {};
  // boto3 (Spack's S3 client) reads these; referencing the CI variables keeps secrets out of YAML and argv.
  if (bucket.credentials.access_key_var !== "AWS_ACCESS_KEY_ID")
    variables.AWS_ACCESS_KEY_ID = `$${bucket.credentials.access_key_var}`;
  if (bucket.credentials.secret_key_var !== "AWS_SECRET_ACCESS_KEY")
    variables.AWS_SECRET_ACCESS_KEY = `$${bucket.credentials.secret_key_var}`;
  if (bucket.endpoint) variables.S3_ENDPOINT_URL = bucket.endpoint;
  return variables;
}

/** Turns Spack jobs into the jobs we write. */
export type JobBuilder = {
  /**
   * The job we write for a Spack job of `pipeline`, in `stage`, with the given needs. Variables
   * equal to one of `common` are left out (the file's `variables:` holds them), and so are the
   * keywords of `defaults` (the file's `default:` holds them).
   */
  build(
    job: SpackJob,
    pipeline: SpackContainer,
    options: {
      stage: string;
      needs: GitlabNeed[];
      common?: Record<string, string>;
      defaults?: Partial<Record<DefaultKeyword, unknown>>;
    },
  ): GitlabScriptJob;
  /** Every variable the job gets: its container's (rebased), the arch's, its own, the credentials. */
  variables(job: SpackJob, pipeline: SpackContainer): Record<string, string>;
  /** One of {@link JobBuilder.variables}, without building them all. */
  variable(job: SpackJob, pipeline: SpackContainer, key: string): string | undefined;
  /**
   * The value {@link JobBuilder.build} gives one of the {@link DEFAULT_KEYWORDS} (undefined when
   * the job has none), without building the job: the same object for jobs that share it.
   */
  keyword(job: SpackJob, pipeline: SpackContainer, key: DefaultKeyword): unknown;
};

/**
 * The job keywords GitLab's `default:` can hold (https://docs.gitlab.com/ci/yaml/#default), in
 * the order jobs are written: those every job of a split shares go to `default:` once.
 */
export const DEFAULT_KEYWORDS = [
  "image",
  "services",
  "tags",
  "interruptible",
  "timeout",
  "retry",
  "hooks",
  "id_tokens",
  "before_script",
  "after_script",
  "cache",
  "artifacts",
] as const;

export type DefaultKeyword = (typeof DEFAULT_KEYWORDS)[number];

type Container = {
  rebase: (text: string) => string;
  /** The container's Spack variables (rebased) under the arch's. */
  variables: Record<string, string>;
  /** Rebased copies of the lists and mappings Spack's anchors share between jobs, by identity. */
  copies: WeakMap<object, unknown>;
};

/**
 * Keywords the split sets itself: `build` writes these, `keyword` gives the default-able ones;
 * the rest of a Spack job is kept as Spack wrote it.
 */
const REPLACED = new Set<string>([
  "stage",
  "needs",
  "variables",
  "when",
  "dependencies",
  "script",
  ...DEFAULT_KEYWORDS,
]);

/**
 * Step 4 of the split: each job, self-contained: its container's Spack variables, rebased on
 * where that container's concretize artifacts land, the arch's runner settings, and the given
 * needs. The rebase and the container's variables are computed once per container.
 */
export function createJobBuilder(settings: SplitSettings): JobBuilder {
  const credentials = credentialVariables(settings);
  // Shared by every job: each is rendered once (createJobRenderer), not once per job.
  const retry = infrastructureRetry();
  const perContainer = new Map<SpackContainer, Container>();
  const containerOf = (pipeline: SpackContainer): Container => {
    let known = perContainer.get(pipeline);
    if (!known) {
      const root = `${settings.inputPath}/${pipeline.container}`;
      const rebase = createRebase(pipeline.variables.SPACK_ARTIFACTS_ROOT!, root);
      const variables: Record<string, string> = {};
      for (const [key, value] of Object.entries(pipeline.variables)) variables[key] = rebase(value);
      Object.assign(variables, settings.architecture.variables);
      known = { rebase, variables, copies: new WeakMap() };
      perContainer.set(pipeline, known);
    }
    return known;
  };
  const copyOnce = <T>(container: Container, source: unknown, make: () => T): T => {
    if (typeof source !== "object" || source === null) return make();
    if (!container.copies.has(source)) container.copies.set(source, make());
    return container.copies.get(source) as T;
  };
  const ownVariables = (job: SpackJob) =>
    isRecord(job.body.variables) ? (job.body.variables as Record<string, unknown>) : {};
  const variable: JobBuilder["variable"] = (job, pipeline, key) => {
    if (key in credentials) return credentials[key];
    const own = ownVariables(job);
    const container = containerOf(pipeline);
    if (key in own) return container.rebase(String(own[key] ?? ""));
    return container.variables[key];
  };
  const variablesWithout = (job: SpackJob, pipeline: SpackContainer, common?: Record<string, string>) => {
    const container = containerOf(pipeline);
    const result: Record<string, string> = {};
    const own = ownVariables(job);
    const add = (key: string, value: string) => {
      if (common?.[key] !== value) result[key] = value;
    };
    for (const key in container.variables)
      if (!(key in own) && !(key in credentials)) add(key, container.variables[key]!);
    for (const key in own) if (!(key in credentials)) add(key, container.rebase(String(own[key] ?? "")));
    for (const key in credentials) add(key, credentials[key]!);
    return result;
  };
  const keyword: JobBuilder["keyword"] = (job, pipeline, key) => {
    switch (key) {
      case "tags":
        return settings.runners.tags;
      case "interruptible":
        return true;
      case "timeout":
        return settings.timeout;
      case "retry":
        return retry;
      case "image": {
        const image = job.body.image;
        return copyOnce(containerOf(pipeline), image, () => toImage(image, settings.pullPolicy));
      }
      case "before_script":
      case "after_script": {
        const container = containerOf(pipeline);
        const lines = copyOnce(container, job.body[key], () => rebaseList(job.body[key], container.rebase));
        return lines ?? job.body[key];
      }
      case "artifacts": {
        const artifacts = job.body.artifacts;
        if (!isRecord(artifacts)) return artifacts;
        const container = containerOf(pipeline);
        return copyOnce(container, artifacts, () => {
          const copy = { ...artifacts };
          if (Array.isArray(copy.paths)) copy.paths = rebaseList(copy.paths, container.rebase);
          return copy;
        });
      }
      default:
        // services, hooks, id_tokens, cache: as Spack wrote them.
        return job.body[key];
    }
  };
  const build: JobBuilder["build"] = (job, pipeline, { stage, needs, common, defaults }) => {
    const container = containerOf(pipeline);
    const result = { stage } as GitlabScriptJob;
    const written = result as Record<string, unknown>;
    for (const key in job.body) if (!REPLACED.has(key)) written[key] = job.body[key];
    written.needs = needs;
    written.variables = variablesWithout(job, pipeline, common);
    written.script = copyOnce(
      container,
      job.body.script,
      () => rebaseList(job.body.script, container.rebase)!,
    );
    for (const key of DEFAULT_KEYWORDS) {
      // A keyword `default:` holds is left out: every job has that same value.
      if (defaults && key in defaults) continue;
      const value = keyword(job, pipeline, key);
      if (value !== undefined) written[key] = value;
    }
    return result;
  };
  return { build, variables: (job, pipeline) => variablesWithout(job, pipeline), variable, keyword };
}
