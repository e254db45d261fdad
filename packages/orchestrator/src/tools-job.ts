import type { ArchitectureConfig, GitlabScriptJob, SiteConfig } from "@spacktainers/core";
import { infrastructureRetry, proxyVariables, TOOLS_SETUP } from "@spacktainers/core";

/**
 * A job that runs spacktainers' own bins in the tools image: on an arch's runners with that
 * arch's variables (resources, proxy) when `architecture` is given, else on `ci.runner_tags`
 * with the site proxy's variables when `ci.proxy` is set.
 */
export function toolsJob(
  config: SiteConfig,
  job: GitlabScriptJob,
  architecture?: ArchitectureConfig,
): GitlabScriptJob {
  const { variables, before_script, stage, script, ...rest } = job;
  const tags = architecture?.runner_tags ?? config.ci.runner_tags;
  const archVariables =
    architecture?.variables ?? (config.ci.proxy && config.proxy ? proxyVariables(config.proxy) : {});
  return {
    stage,
    image: config.ci.tools_image,
    ...(tags.length > 0 ? { tags } : {}),
    interruptible: true,
    retry: infrastructureRetry(),
    timeout: "30m",
    cache: { key: { files: ["pnpm-lock.yaml"] }, paths: [".pnpm-store"], policy: "pull-push" },
    ...rest,
    variables: { npm_config_store_dir: ".pnpm-store", ...archVariables, ...(variables ?? {}) },
    before_script: [...TOOLS_SETUP, ...((before_script as string[] | undefined) ?? [])],
    script,
  };
}
