import {
  BASE_IMAGE_NAMES,
  type BaseImageDigests,
  type CiContext,
  expandRegistryImage,
  type GitlabNeed,
  imageReference,
  type SiteConfig,
} from "@spacktainers/core";
import { type ContainerJobStages, describeBaseImage, type RegistryClient } from "@spacktainers/image-builder";
import type { PlanClients } from "./plan-containers.js";

/** Stages of the container pipeline, in order. */
export const CONTAINER_STAGES: ContainerJobStages = {
  build: "build",
  sif: "sif",
  deploy: "deploy",
  dockerHub: "docker hub",
};

/** Image references of this pipeline's base images (`<prefix>/<name>:<tag>`, prefix as written). */
export type ContainerBases = { builder: string; runtime: string; singularitah: string };

/** What planning every container of one arch shares. */
export type ContainerPlanContext = {
  /** Repository root. */
  root: string;
  arch: string;
  config: SiteConfig;
  context: CiContext;
  clients: PlanClients;
  /** The output folder, relative to the root (`out/containers/<arch>`). */
  outRelative: string;
  /** Absolute folder of the concretized environments (`<arch>/<name>/spack.{yaml,lock}`). */
  environments: string;
  /** A Spack container without a lock: an error, or planned as "not concretized yet". */
  missingLocks: "error" | "report";
  /** The need on pipeline A's plan job, where build jobs fetch their context. */
  fromPlan: GitlabNeed[];
  /** The base images of this pipeline. */
  bases: ContainerBases;
  /** Digests of this arch's builder and runtime images, when the registry was asked. */
  baseDigests: BaseImageDigests;
};

/** Digests of the arch's builder and runtime images; absent offline or when they cannot be read. */
async function baseImageDigests({
  registry,
  bases,
  arch,
  context,
}: {
  registry?: RegistryClient | undefined;
  bases: ContainerBases;
  arch: string;
  context: CiContext;
}): Promise<BaseImageDigests> {
  if (!registry || context.offline) return {};
  const digests: BaseImageDigests = {};
  for (const name of ["builder", "runtime"] as const) {
    const reference = expandRegistryImage(bases[name], context);
    const found = await registry.inspectImage({ reference, arch }).catch(() => undefined);
    if (found?.exists && found.digest) digests[name] = found.digest;
  }
  return digests;
}

/**
 * The base images every container job of an arch uses, and the digests of the arch's builder
 * and runtime images (built earlier in pipeline A when needed): recorded as labels and
 * compared, so a base-image change rebuilds the containers.
 */
export async function resolveContainerBases({
  root,
  arch,
  config,
  context,
  registry,
}: {
  root: string;
  arch: string;
  config: SiteConfig;
  context: CiContext;
  registry?: RegistryClient | undefined;
}): Promise<{ bases: ContainerBases; baseDigests: BaseImageDigests }> {
  const entries = await Promise.all(
    BASE_IMAGE_NAMES.map(async (name) => {
      const { tag } = await describeBaseImage({ root, name, config, isProd: context.isProd });
      return [name, imageReference(config.registry.image_prefix, name, tag)] as const;
    }),
  );
  const bases = Object.fromEntries(entries) as ContainerBases;
  return { bases, baseDigests: await baseImageDigests({ registry, bases, arch, context }) };
}
