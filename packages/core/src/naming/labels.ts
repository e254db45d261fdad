import type { SiteConfig } from "../model/site-config.js";
import type { BaseImageName } from "./base-image-names.js";

/**
 * Label names (without the site's `registry.label_prefix`). The first four are the original
 * tool's, so images it built are recognised (its `s3cmd_version` went with s3cmd); the two
 * digests are ours: a container records the base images it was built on, so a changed base
 * triggers a rebuild (the reference missed it).
 */
export const LABELS = {
  containerChecksum: "container_checksum",
  spackLockSha256: "spack_lock_sha256",
  spackCommit: "spack_commit",
  singularityVersion: "singularity_version",
  builderDigest: "builder_image_digest",
  runtimeDigest: "runtime_image_digest",
  nodeVersion: "node_version",
} as const;

/**
 * The `singularity_version` label's value: apptainer's version when the site names one (the
 * singularitah image runs apptainer), else singularity's. The same order as the base-image
 * labels, so a container and the image that converts it agree.
 */
export function singularityVersion(versions: Partial<Record<string, string>>): string | undefined {
  return versions.apptainer ?? versions.singularity;
}

/** S3 object metadata of SIF files; S3 lower-cases metadata keys. */
export const SIF_METADATA = {
  containerChecksum: "container-checksum",
  spackLockSha256: "spack-lock-sha256",
  digest: "digest",
} as const;

export interface BaseImageLabelsOptions {
  /** Which base image. */
  name: BaseImageName;
  /** `registry.label_prefix` of the site config. */
  labelPrefix: string;
  /** Tree checksum of `images/<name>/`. */
  checksum: string;
  /** Commit the Spack branch resolved to (builder only; omitted when unknown). */
  spackCommit?: string;
  /** `versions` of the site config (apptainer or singularity, node). */
  versions?: SiteConfig["versions"];
}

/** The labels a base image must carry to be up to date (full names, prefix included). */
export function baseImageLabels({
  name,
  labelPrefix,
  checksum,
  spackCommit,
  versions = {},
}: BaseImageLabelsOptions): Record<string, string> {
  const labels: Record<string, string> = { [`${labelPrefix}${LABELS.containerChecksum}`]: checksum };
  if (name === "builder" && spackCommit) labels[`${labelPrefix}${LABELS.spackCommit}`] = spackCommit;
  if (name === "singularitah") {
    const tools: Array<[string, string | undefined]> = [
      [LABELS.singularityVersion, singularityVersion(versions)],
      [LABELS.nodeVersion, versions.node],
    ];
    for (const [label, value] of tools) if (value) labels[`${labelPrefix}${label}`] = value;
  }
  return labels;
}

/** Differences between the labels an image has and those it should have, one line each. */
export function compareLabels(actual: Record<string, string>, expected: Record<string, string>): string[] {
  const differences: string[] = [];
  for (const [name, value] of Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = actual[name];
    if (found === undefined) differences.push(`label ${name} missing (expected ${value})`);
    else if (found !== value) differences.push(`label ${name} is ${found}, expected ${value}`);
  }
  return differences;
}

/**
 * The labels that identify an image's inputs: those under the site prefix. The standard
 * `org.opencontainers.image.*` labels (created, revision) change every pipeline and are
 * never compared, else every image would always be rebuilt.
 */
export function identityLabels(labels: Record<string, string>, labelPrefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => name.startsWith(labelPrefix)));
}
