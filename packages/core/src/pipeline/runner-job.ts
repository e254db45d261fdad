import { proxyVariables } from "../config/parse-site-config.js";
import type { ArchitectureConfig, SifDeployConfig, SiteConfig } from "../model/site-config.js";
import { infrastructureRetry } from "./gitlab-limits.js";
import type { GitlabScriptJob } from "./pipeline-model.js";

/** Where a job runs: the runner tags, and the non-secret variables those runners need (resources, proxy). */
export type Runners = {
  /** Runner tags. */
  tags: string[];
  /** Variables every job on these runners gets (resources, proxy). */
  variables: Record<string, string>;
};

/** An architecture's runners: its tags and its variables (the proxy ones included when `proxy: true`). */
export function archRunners(architecture: ArchitectureConfig): Runners {
  return { tags: [...architecture.runner_tags], variables: { ...architecture.variables } };
}

/** The site proxy's variables for the jobs not tied to an architecture, when `ci.proxy` asks for them. */
function ciProxyVariables(config: SiteConfig): Record<string, string> {
  return config.ci.proxy && config.proxy ? proxyVariables(config.proxy) : {};
}

/** The runners of the jobs not tied to an architecture: `ci.runner_tags`, with the proxy when `ci.proxy`. */
export function toolRunners(config: SiteConfig): Runners {
  return { tags: [...config.ci.runner_tags], variables: ciProxyVariables(config) };
}

/** The site runner of `sif_deploy` (SIF copies to the site folder), with the proxy when `ci.proxy`. */
export function siteDeployRunners(config: SiteConfig, deploy: SifDeployConfig): Runners {
  return { tags: [...deploy.runner_tags], variables: ciProxyVariables(config) };
}

/** A script job as its emitter writes it: where it runs comes from {@link Runners}; timeout and interruptible are always said. */
export type RunnerJobSpec = GitlabScriptJob & {
  /** Given by the runners, never by the job. */
  tags?: never;
  /** GitLab's `timeout:` (`30m`, `3h`): every job says how long it may take. */
  timeout: string;
  /** Whether a newer pipeline may cancel it (false for jobs that publish). */
  interruptible: boolean;
};

/**
 * A job on the given runners: their tags (none when the list is empty), their variables under
 * the job's own (a job's variable wins), and the infrastructure `retry:` unless the job gives
 * its own. The one place that says what "a job on an arch's runners" means.
 */
export function runnerJob(runners: Runners, job: RunnerJobSpec): GitlabScriptJob {
  const { variables, ...rest } = job;
  const merged = { ...runners.variables, ...(variables ?? {}) };
  return {
    ...(runners.tags.length > 0 ? { tags: [...runners.tags] } : {}),
    retry: infrastructureRetry(),
    ...rest,
    ...(Object.keys(merged).length > 0 ? { variables: merged } : {}),
  };
}
