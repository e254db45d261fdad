import type { SiteConfig } from "../model/site-config.js";
import { infrastructureRetry } from "./gitlab-limits.js";
import { type GitlabPipeline, type GitlabScriptJob, isTriggerJob } from "./pipeline-model.js";
import { archRunners, type Runners } from "./runner-job.js";

/** What an architecture's hidden template gives the jobs that extend it: its runners' tags and variables. */
export type JobTemplate = Runners;

/** Name of the hidden template holding an architecture's runner tags and variables. */
export function architectureTemplateName(arch: string): string {
  return `.${arch}`;
}

/** One template per configured architecture: its runner tags and variables. */
export function architectureTemplates(config: SiteConfig): Record<string, JobTemplate> {
  return Object.fromEntries(
    Object.entries(config.architectures).map(([arch, architecture]) => [
      architectureTemplateName(arch),
      archRunners(architecture),
    ]),
  );
}

export interface ShareJobSettingsOptions {
  /** Hidden templates by name (see {@link architectureTemplateName}). */
  templates?: Record<string, JobTemplate>;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Says the settings jobs share once, without changing what any job does:
 *
 * - `default:` holds `interruptible: true` and the infrastructure `retry:`; a script job with
 *   exactly those drops them, a job that differs keeps its own value, and a job that had none
 *   gets `interruptible: false` / `retry: {max: 0}` so that it behaves as before. Trigger jobs
 *   are left alone: GitLab gives them neither `retry` nor `tags`, and `default:` does not apply
 *   to them.
 * - A script job whose tags equal a template's and whose variables hold every variable of it
 *   (same values) `extends:` that template and drops them; GitLab merges the template's
 *   `variables` hash into the job's (https://docs.gitlab.com/ci/yaml/#extends).
 *
 * `default:` is per file: a child pipeline does not inherit its parent's, so every pipeline the
 * orchestrator writes goes through this on its own (the splitter's chunk files get a `default:`
 * of their own, from what all their build jobs share).
 */
export function shareJobSettings(
  pipeline: GitlabPipeline,
  { templates = {} }: ShareJobSettingsOptions = {},
): GitlabPipeline {
  const retry = infrastructureRetry();
  const used = new Set<string>();
  const jobs: GitlabPipeline["jobs"] = {};
  for (const [name, original] of Object.entries(pipeline.jobs)) {
    if (isTriggerJob(original)) {
      jobs[name] = original;
      continue;
    }
    const job: GitlabScriptJob = { ...original };
    if (job.interruptible === true) delete job.interruptible;
    else job.interruptible = false;
    if (sameJson(job.retry, retry)) delete job.retry;
    else if (job.retry === undefined) job.retry = { max: 0 };
    const template = Object.entries(templates).find(
      ([, t]) =>
        job.extends === undefined &&
        sameJson(job.tags, t.tags) &&
        Object.entries(t.variables).every(([key, value]) => job.variables?.[key] === value),
    );
    if (template) {
      const [templateName, { variables }] = template;
      used.add(templateName);
      job.extends = templateName;
      delete job.tags;
      const own = Object.entries(job.variables ?? {}).filter(([key]) => !(key in variables));
      if (own.length > 0) job.variables = Object.fromEntries(own);
      else delete job.variables;
    }
    jobs[name] = job;
  }
  const hidden = Object.fromEntries(
    Object.entries(templates)
      .filter(([name]) => used.has(name))
      .map(([name, t]) => [
        name,
        { tags: t.tags, ...(Object.keys(t.variables).length > 0 ? { variables: t.variables } : {}) },
      ]),
  );
  return {
    ...pipeline,
    default: { ...pipeline.default, interruptible: true, retry },
    ...(Object.keys(hidden).length > 0 ? { templates: { ...pipeline.templates, ...hidden } } : {}),
    jobs,
  };
}
