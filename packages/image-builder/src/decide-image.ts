import {
  type BaseImageDigests,
  baseImageLabels,
  type ContainerIdentity,
  compareLabels,
  identityLabels,
  LABELS,
} from "@spacktainers/core";
import type { BaseImageIdentity } from "./base-image.js";
import type { RegistryClient } from "./registry-client.js";

/** What to do with an image, SIF or Docker Hub copy: `build` = do the work (build, upload, push). */
export type Decision = {
  /** `build`: build/upload/push it; `skip`: it is up to date (or not wanted). */
  action: "build" | "skip";
  /** Why, in one line a user can act on. */
  reason: string;
};

/** The reason of every decision taken without credentials. */
export const OFFLINE_REASON = "not checked (offline)";

/** The decision when the registry or S3 was not asked. */
export const OFFLINE_DECISION: Decision = { action: "build", reason: OFFLINE_REASON };

export interface DecideImageOptions {
  /** Registry client; `undefined` or `offline` → "not checked (offline)". */
  client?: RegistryClient;
  /** Offline: no credentials, nothing is checked. */
  offline?: boolean;
  /** Public reference `registry/repository:tag`. */
  image: string;
  /** Architectures the image must have; each is checked, none stands in for another. */
  arches: readonly string[];
  /** Labels it must carry (full names). */
  labels: Record<string, string>;
}

/**
 * Build unless the public tag exists for every arch with exactly the expected labels. A
 * multi-arch tag is rebuilt whole: its manifest job replaces the index, so building only the
 * missing arch would drop the others.
 */
export async function decideImage({
  client,
  offline,
  image,
  arches,
  labels,
}: DecideImageOptions): Promise<Decision> {
  if (offline || !client) return OFFLINE_DECISION;
  for (const arch of arches) {
    const found = await client.inspectImage({ reference: image, arch });
    if (!found.exists) return { action: "build", reason: found.reason };
    const differences = compareLabels(found.labels, labels);
    if (differences.length > 0)
      return { action: "build", reason: `${image} (${arch}): ${differences.join("; ")}` };
  }
  return { action: "skip", reason: `${image} is up to date (${arches.join(", ")})` };
}

export interface DecideSpackContainerOptions {
  client?: RegistryClient;
  offline?: boolean;
  /** The container as `describeContainer` described it: public image reference and its labels. */
  container: Pick<ContainerIdentity, "image" | "labels">;
  /** The container's architecture. */
  arch: string;
  /** `registry.label_prefix`. */
  labelPrefix: string;
  /** Digests of the base images; a missing one means it is rebuilt now, so the container is too. */
  baseImages: BaseImageDigests;
}

/**
 * A Spack container is up to date when its image carries the expected container checksum and
 * lock sha256 (in `container.labels`) and was built on the current builder and runtime digests.
 */
export async function decideSpackContainer({
  client,
  offline,
  container,
  arch,
  labelPrefix,
  baseImages,
}: DecideSpackContainerOptions): Promise<Decision> {
  if (offline || !client) return OFFLINE_DECISION;
  for (const base of ["builder", "runtime"] as const) {
    if (!baseImages[base])
      return { action: "build", reason: `the ${base} image is rebuilt in this pipeline` };
  }
  return decideImage({
    client,
    offline,
    image: container.image,
    arches: [arch],
    labels: {
      ...identityLabels(container.labels, labelPrefix),
      [`${labelPrefix}${LABELS.builderDigest}`]: baseImages.builder!,
      [`${labelPrefix}${LABELS.runtimeDigest}`]: baseImages.runtime!,
    },
  });
}

export interface DecideBaseImageOptions {
  client?: RegistryClient;
  offline?: boolean;
  /** The base image (from `describeBaseImage`). */
  base: Pick<BaseImageIdentity, "name" | "checksum">;
  /** Its public reference, `<prefix>/<name>:<tag>`. */
  image: string;
  /** Every active architecture (a base image is multi-arch). */
  arches: readonly string[];
  /** `registry.label_prefix`. */
  labelPrefix: string;
  /** Commit the Spack branch resolves to now (builder). */
  spackCommit?: string;
  /** `versions` of the site config (singularitah's tool versions). */
  versions?: Record<string, string>;
}

/** A base image is up to date when every arch carries its folder checksum, Spack commit and tool versions. */
export function decideBaseImage(options: DecideBaseImageOptions): Promise<Decision> {
  return decideImage({
    ...(options.client ? { client: options.client } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
    image: options.image,
    arches: options.arches,
    labels: baseImageLabels({
      name: options.base.name,
      labelPrefix: options.labelPrefix,
      checksum: options.base.checksum,
      ...(options.spackCommit ? { spackCommit: options.spackCommit } : {}),
      ...(options.versions ? { versions: options.versions } : {}),
    }),
  });
}
