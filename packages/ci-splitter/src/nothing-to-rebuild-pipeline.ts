import {
  type ArchitectureConfig,
  archRunners,
  type GitlabPipeline,
  JOB_NAMES,
  runnerJob,
} from "@spacktainers/core";

/**
 * The trigger pipeline when an arch has nothing to rebuild (every spec is in the cache, or the
 * arch has no Spack container): one no-op job, so the parent's trigger still finds a valid file.
 */
export function nothingToRebuildPipeline({
  arch,
  architecture,
}: {
  arch: string;
  architecture: ArchitectureConfig;
}): GitlabPipeline {
  return {
    stages: ["build"],
    jobs: {
      [JOB_NAMES.nothingToRebuild(arch)]: runnerJob(archRunners(architecture), {
        stage: "build",
        interruptible: true,
        timeout: "10m",
        script: [`echo "Every spec of ${arch} is in the build cache already; nothing to rebuild."`],
      }),
    },
  };
}
