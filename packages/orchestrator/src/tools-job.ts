import type { GitlabScriptJob, Runners, SiteConfig } from "@spacktainers/core";
import { runnerJob, TOOLS_SETUP, toolRunners } from "@spacktainers/core";

/** A tools job as its caller writes it: the timeout (30m) and interruptible (true) have defaults here. */
export type ToolsJobSpec = GitlabScriptJob & { tags?: never };

/**
 * A job that runs spacktainers' own bins in the tools image, on the given runners (an arch's,
 * the site deploy runner) or by default on `ci.runner_tags` with the site proxy's variables when
 * `ci.proxy` is set.
 */
export function toolsJob(
  config: SiteConfig,
  job: ToolsJobSpec,
  runners: Runners = toolRunners(config),
): GitlabScriptJob {
  const { variables, before_script, ...rest } = job;
  return runnerJob(runners, {
    image: config.ci.tools_image,
    interruptible: true,
    timeout: "30m",
    cache: { key: { files: ["pnpm-lock.yaml"] }, paths: [".pnpm-store"], policy: "pull-push" },
    ...rest,
    variables: { npm_config_store_dir: ".pnpm-store", ...(variables ?? {}) },
    before_script: [...TOOLS_SETUP, ...((before_script as string[] | undefined) ?? [])],
  });
}
