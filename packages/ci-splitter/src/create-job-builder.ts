import {
  type GitlabImage,
  type GitlabNeed,
  type GitlabScriptJob,
  infrastructureRetry,
} from "@spacktainers/core";
import { createRebase } from "./create-rebase.js";
import type { SpackContainerPipeline, SpackJob } from "./parse-spack-pipeline.js";
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

/** A function that turns a Spack job into the job we write. */
export type JobBuilder = (
  job: SpackJob,
  pipeline: SpackContainerPipeline,
  needs: GitlabNeed[],
) => GitlabScriptJob;

/**
 * Step 4 of the split: each job, self-contained: its container's Spack variables, rebased on
 * where that container's concretize artifacts land, the arch's runner settings, and the given
 * needs. The rebase and the container's variables are computed once per container.
 */
export function createJobBuilder(settings: SplitSettings): JobBuilder {
  const credentials = credentialVariables(settings);
  // Shared by every job: each is rendered once (createJobRenderer), not once per job.
  const retry = infrastructureRetry();
  type Container = {
    rebase: (text: string) => string;
    variables: Record<string, string>;
    /** Rebased copies of the lists and mappings Spack's anchors share between jobs, by identity. */
    copies: WeakMap<object, unknown>;
  };
  const perContainer = new Map<SpackContainerPipeline, Container>();
  const containerOf = (pipeline: SpackContainerPipeline): Container => {
    let known = perContainer.get(pipeline);
    if (!known) {
      const root = `${settings.inputPath}/${pipeline.container}`;
      const rebase = createRebase(pipeline.variables.SPACK_ARTIFACTS_ROOT!, root);
      const variables: Record<string, string> = {};
      for (const [key, value] of Object.entries(pipeline.variables)) variables[key] = rebase(value);
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
  return (job, pipeline, needs) => {
    const container = containerOf(pipeline);
    const { rebase } = container;
    const variables: Record<string, string> = { ...container.variables, ...settings.architecture.variables };
    if (isRecord(job.body.variables)) {
      for (const [key, value] of Object.entries(job.body.variables))
        variables[key] = rebase(String(value ?? ""));
    }
    Object.assign(variables, credentials);
    const {
      needs: _n,
      tags: _t,
      retry: _r,
      when: _w,
      stage: _s,
      dependencies: _d,
      image,
      ...rest
    } = job.body;
    const result: GitlabScriptJob = {
      ...rest,
      stage: "",
      tags: settings.tags,
      needs,
      variables,
      interruptible: true,
      timeout: settings.timeout,
      retry,
      script: copyOnce(container, job.body.script, () => rebaseList(job.body.script, rebase)!),
    };
    const gitlabImage = copyOnce(container, image, () => toImage(image, settings.pullPolicy));
    if (gitlabImage) result.image = gitlabImage;
    for (const key of ["before_script", "after_script"] as const) {
      const lines = copyOnce(container, job.body[key], () => rebaseList(job.body[key], rebase));
      if (lines) result[key] = lines;
    }
    const artifacts = job.body.artifacts;
    if (isRecord(artifacts)) {
      result.artifacts = copyOnce(container, artifacts, () => {
        const copy = { ...artifacts };
        if (Array.isArray(copy.paths)) copy.paths = rebaseList(copy.paths, rebase);
        return copy;
      });
    }
    return result;
  };
}
