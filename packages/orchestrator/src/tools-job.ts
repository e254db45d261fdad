import type { GitlabScriptJob, SiteConfig } from "@spacktainers/core";
import { infrastructureRetry, TOOLS_SETUP } from "@spacktainers/core";

/** A job that runs spacktainers' own bins in the tools image (runner tags: the arch's, or `ci.runner_tags`). */
export function toolsJob(
  config: SiteConfig,
  job: GitlabScriptJob,
  tags: string[] = config.ci.runner_tags,
): GitlabScriptJob {
  const { variables, before_script, stage, script, ...rest } = job;
  return {
    stage,
    image: config.ci.tools_image,
    ...(tags.length > 0 ? { tags } : {}),
    interruptible: true,
    retry: infrastructureRetry(),
    timeout: "30m",
    cache: { key: { files: ["pnpm-lock.yaml"] }, paths: [".pnpm-store"], policy: "pull-push" },
    ...rest,
    variables: { npm_config_store_dir: ".pnpm-store", ...(variables ?? {}) },
    before_script: [...TOOLS_SETUP, ...((before_script as string[] | undefined) ?? [])],
    script,
  };
}
