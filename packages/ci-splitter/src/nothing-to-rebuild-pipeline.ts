import { type ArchitectureConfig, type GitlabPipeline, infrastructureRetry } from "@spacktainers/core";

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
      [`nothing to rebuild for ${arch}`]: {
        stage: "build",
        tags: [...architecture.runner_tags],
        ...(Object.keys(architecture.variables).length > 0
          ? { variables: { ...architecture.variables } }
          : {}),
        interruptible: true,
        timeout: "10m",
        retry: infrastructureRetry(),
        script: [`echo "Every spec of ${arch} is in the build cache already; nothing to rebuild."`],
      },
    },
  };
}
