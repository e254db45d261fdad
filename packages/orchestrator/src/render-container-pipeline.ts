import {
  architectureTemplates,
  archRunners,
  type GitlabJob,
  type GitlabPipeline,
  JOB_NAMES,
  renderPipelineYaml,
  runnerJob,
  type SiteConfig,
  shareJobSettings,
} from "@spacktainers/core";
import { CONTAINER_STAGES } from "./container-plan-context.js";

/**
 * The container pipeline of one arch from its containers' jobs: only the stages in use, and a
 * placeholder job when every container is up to date (GitLab refuses a pipeline without jobs).
 */
export function renderContainerPipeline({
  arch,
  config,
  jobs,
}: {
  arch: string;
  config: SiteConfig;
  jobs: Record<string, GitlabJob>;
}): { pipeline: GitlabPipeline; yaml: string } {
  const all: Record<string, GitlabJob> =
    Object.keys(jobs).length > 0
      ? jobs
      : {
          [JOB_NAMES.nothingToBuild(arch)]: runnerJob(archRunners(config.architectures[arch]!), {
            stage: CONTAINER_STAGES.build,
            interruptible: true,
            timeout: "10m",
            script: [`echo "Every container of ${arch} is up to date; nothing to build."`],
          }),
        };
  const used = new Set(Object.values(all).map((job) => job.stage));
  const pipeline: GitlabPipeline = {
    stages: Object.values(CONTAINER_STAGES).filter((stage) => used.has(stage)),
    jobs: all,
  };
  return {
    pipeline,
    yaml: renderPipelineYaml(shareJobSettings(pipeline, { templates: architectureTemplates(config) })),
  };
}
