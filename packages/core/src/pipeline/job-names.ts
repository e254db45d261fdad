/**
 * Names of the jobs of the pipelines we emit. One place, because jobs refer to each other by
 * name across files and packages: the parent `.gitlab-ci.yml`, child pipeline A, the split
 * build-cache pipelines, the container pipelines and the gatherer.
 */
export const JOB_NAMES = {
  checkTool: "lint, typecheck and test the tool",
  checkDefinitions: "validate and plan",
  generate: "generate",
  generationTrigger: "concretize and plan",
  gather: "gather",
  concretize: (container: string, arch: string) => `concretize ${container} for ${arch}`,
  split: (arch: string) => `split spack pipeline for ${arch}`,
  planContainers: (arch: string) => `plan containers for ${arch}`,
  populate: (arch: string) => `populate build cache for ${arch}`,
  /** The placeholder of a build-cache pipeline with no spec to rebuild (GitLab refuses an empty one). */
  nothingToRebuild: (arch: string) => `nothing to rebuild for ${arch}`,
  /** Republishes the split's child files for the triggers; `part` is `i/n` when one job cannot hold them all. */
  collectChildPipelines: (arch: string, part?: string) =>
    `collect child pipelines${part ? ` (${part})` : ""} for ${arch}`,
  buildContainers: (arch: string) => `build containers for ${arch}`,
  prune: (arch: string) => `prune build cache for ${arch}`,
  /** The placeholder job of a container pipeline with nothing to build (GitLab refuses an empty one). */
  nothingToBuild: (arch: string) => `nothing to build for ${arch}`,
  /** Builds one arch's image of a container or base image. */
  buildImage: (name: string, arch: string) => `build ${name} for ${arch}`,
  /** Publishes the multi-arch manifest: named by the image, unique even when arches share a pipeline. */
  publishImage: (name: string, tag: string) => `publish ${name}:${tag}`,
  /** Converts an image to a SIF and uploads it. */
  convertSif: (name: string, arch: string) => `convert ${name} to sif for ${arch}`,
  /** Copies a SIF to the site's filesystem. */
  deploySif: (name: string, arch: string) => `deploy ${name} sif for ${arch}`,
  /** Pushes a container to Docker Hub. */
  pushToDockerHub: (name: string, arch: string) => `push ${name} to docker hub for ${arch}`,
  pruneBranchCache: (arch: string) => `prune branch cache for ${arch}`,
  removeSifs: "remove SIFs of deleted branches",
  syncSiteSifs: "sync SIFs to the site",
  release: "release npm packages",
} as const;

/** Folders inside the output directory (`out/` by default), shared by every job. */
export const OUT_PATHS = {
  /** Child pipeline A. */
  generationPipeline: "pipeline.yml",
  /** What the gather job must fetch from pipeline A. */
  gatherManifest: "gather.json",
  /** Spack environments: `environments/<arch>/<name>/spack.yaml`. */
  environments: "environments",
  /** Where concretize jobs put Spack's pipelines: `jobs_scratch_dir.<arch>/<name>/`. */
  scratch: (arch: string) => `jobs_scratch_dir.${arch}`,
  /** Split build-cache pipelines of an arch. */
  split: (arch: string) => `split/${arch}`,
  /** Container pipeline of an arch. */
  containers: (arch: string) => `containers/${arch}`,
  /**
   * Beside each container's `spack.lock`: `spack list` in the builder (every package of Spack's
   * repositories and `spack.repos`), written by the concretize job, read by the prune job for
   * the janitor's removed-package rule.
   */
  packageList: "packages.txt",
  /**
   * What the gather job keeps as its artifact, the archive every child-pipeline trigger includes
   * from: the YAML files only (GitLab reads an included artifact only from an archive under
   * 5 MB; the build contexts are fetched from pipeline A's plan jobs by the container jobs).
   */
  gatherArtifacts: ["split/", "containers/*/pipeline.yml"],
} as const;

/** True when `path` (relative to the out folder, `/` separators) is kept in the gather artifact. */
export function inGatherArtifact(path: string): boolean {
  return path.startsWith("split/") || /^containers\/[^/]+\/pipeline\.yml$/.test(path);
}
