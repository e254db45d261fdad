import { join } from "node:path";
import {
  type BaseImageName,
  baseImageTag,
  bucketName,
  type SiteConfig,
  treeChecksum,
} from "@spacktainers/core";
import { readChecksumEntries } from "@spacktainers/core/node";

/** Name of the virtual checksum entry holding the config-derived build args (no file has it). */
const BUILD_ARGS_ENTRY = "\0build-args";

function buildArgsText(config: SiteConfig, name: BaseImageName, isProd: boolean): string {
  const { buildArgs, buildArgsFor } = baseImageBuildArgs({ config, name, isProd });
  const perArch = Object.keys(config.architectures)
    .sort()
    .map((arch) => [arch, buildArgsFor(arch)]);
  return JSON.stringify({ buildArgs: Object.entries(buildArgs).sort(), perArch });
}

/** A base image's content address. */
export type BaseImageIdentity = {
  /** `builder`, `runtime` or `singularitah`. */
  name: BaseImageName;
  /** Tree checksum of every file of `images/<name>/` (relative path + bytes, sorted). */
  checksum: string;
  /** First 12 hex of the checksum. */
  tag: string;
  /** Files that went into the checksum, relative to the folder. */
  files: string[];
};

export interface DescribeBaseImageOptions {
  /** Repository root (the folder holding `images/`). */
  root: string;
  /** Which base image. */
  name: BaseImageName;
  /**
   * The site config and branch kind: the build args they give the image (Spack repository and
   * branch, tool versions, cache buckets) are part of the checksum, so changing `spack.branch`
   * or `versions` gives a new tag instead of rebuilding an existing one.
   */
  config?: SiteConfig;
  /** Prod or branch (the builder's cache bucket differs when `prod_name` is set). */
  isProd?: boolean;
}

/** The `SPACK_REPOS` build arg of the builder: `<url>|<ref>|<path>` per repository, in order. */
export function spackReposBuildArg(config: SiteConfig): string {
  return config.spack.repos.map((repo) => `${repo.url}|${repo.commit ?? repo.branch}|${repo.path}`).join(" ");
}

/** The build args a base image gets from the site config, for every arch; the jobs pass the same. */
export function baseImageBuildArgs({
  config,
  name,
  isProd,
  spackCommit,
}: {
  config: SiteConfig;
  name: BaseImageName;
  isProd: boolean;
  spackCommit?: string;
}): {
  buildArgs: Record<string, string>;
  buildArgsFor: (arch: string) => Record<string, string>;
} {
  const versions = config.versions;
  const buildArgs: Record<string, string> = {};
  if (name === "builder") {
    buildArgs.SPACK_REPOSITORY = config.spack.repository;
    buildArgs.SPACK_BRANCH = config.spack.branch;
    if (spackCommit) buildArgs.SPACK_COMMIT = spackCommit;
    // `<url>|<branch or commit>|<path>` per repository, space-separated, in order (the schema
    // refuses spaces and | in these fields); images/builder/add-spack-repos.sh reads it.
    if (config.spack.repos.length > 0) buildArgs.SPACK_REPOS = spackReposBuildArg(config);
    // Git URLs of this GitLab are fetched with the job's CI_JOB_TOKEN (images/builder/configure-git.sh).
    buildArgs.GITLAB_HOST = "$CI_SERVER_HOST";
  }
  if (name === "singularitah") {
    const tools: Array<[string, string | undefined]> = [
      ["APPTAINER_VERSION", versions.apptainer ?? versions.singularity],
      ["NODE_VERSION", versions.node],
    ];
    for (const [arg, value] of tools) if (value) buildArgs[arg] = value;
  }
  const buildArgsFor = (arch: string): Record<string, string> => {
    if (name !== "builder") return {};
    const bucket = config.architectures[arch]!.cache_bucket;
    return {
      CACHE_BUCKET: bucketName(bucket, isProd),
      ...(bucket.endpoint ? { CACHE_ENDPOINT: bucket.endpoint } : {}),
    };
  };
  return { buildArgs, buildArgsFor };
}

/**
 * Checksum and tag of a base image from its folder. Computed once per pipeline and passed down
 * (content-addressed: a pipeline crossing midnight never references a missing tag).
 */
export async function describeBaseImage({
  root,
  name,
  config,
  isProd = false,
}: DescribeBaseImageOptions): Promise<BaseImageIdentity> {
  const entries = await readChecksumEntries(join(root, "images", name));
  if (entries.length === 0) throw new Error(`images/${name}/ holds no file`);
  const inputs = config
    ? [{ path: BUILD_ARGS_ENTRY, bytes: new TextEncoder().encode(buildArgsText(config, name, isProd)) }]
    : [];
  const checksum = treeChecksum([...entries, ...inputs]);
  return { name, checksum, tag: baseImageTag(checksum), files: entries.map((entry) => entry.path) };
}
