import { relative, resolve } from "node:path";
import {
  type CiContext,
  type ContainerDefinition,
  type ContainerIdentity,
  type GitlabJob,
  type GitlabPipeline,
  JOB_NAMES,
  naturalCompare,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";
import type { S3Client } from "@spacktainers/core/net";
import { writeFilesAtomic } from "@spacktainers/core/node";
import type { Decision, RegistryClient } from "@spacktainers/image-builder";
import { type ContainerPlanContext, resolveContainerBases } from "./container-plan-context.js";
import { planCustomContainer } from "./plan-custom-container.js";
import { planSpackContainer } from "./plan-spack-container.js";
import { renderContainerPipeline } from "./render-container-pipeline.js";

/** Clients for the online checks; each absent one makes its decisions "not checked (offline)". */
export type PlanClients = {
  /** The registry (base images, container images, custom sources). */
  registry?: RegistryClient;
  /** S3 client of an arch's containers bucket. */
  s3?: (arch: string) => S3Client | undefined;
  /** Docker Hub, read on prod when `docker_hub.enabled`: its API and its registry. */
  dockerHub?: {
    client: RegistryClient;
    /** API base URL (default `https://hub.docker.com`). */
    apiUrl?: string;
    /** Registry host of its images (default `registry-1.docker.io`). */
    registry?: string;
    /** Environment with the proxy variables, if any. */
    env?: Record<string, string | undefined>;
  };
};

/** What the plan decided for one container on one arch. */
export type ContainerPlan = {
  name: string;
  arch: string;
  kind: "spack" | "custom";
  /** Tag, image and SIF of the container (absent before concretization). */
  identity?: ContainerIdentity;
  /** Image build (Spack containers only), SIF upload, Docker Hub push. */
  decisions: { image?: Decision; sif: Decision; dockerHub?: Decision };
};

/** What planning one container gives: its plan, its files (under its folder) and its jobs. */
export type PlannedContainer = {
  plan: ContainerPlan;
  files: Record<string, string>;
  jobs: Record<string, GitlabJob>;
  warnings: Warning[];
};

export interface PlanContainersOptions {
  /** Repository root (the project dir of the jobs). */
  root: string;
  arch: string;
  config: SiteConfig;
  /** Definitions of the repository; those of `arch` are planned. */
  definitions: ContainerDefinition[];
  context: CiContext;
  /** `out/environments`: `<arch>/<name>/spack.yaml` + the `spack.lock` the concretize job wrote. */
  environments: string;
  /** Output folder of this arch's container pipeline (`out/containers/<arch>`). */
  out: string;
  /** `CI_PIPELINE_ID` of pipeline A, whose plan job holds the build contexts. */
  pipelineId: string;
  clients?: PlanClients;
}

/** A plan as plain data for JSON output and plan.json. */
export function summarizePlan({ name, arch, kind, identity, decisions }: ContainerPlan) {
  return {
    name,
    arch,
    kind,
    tag: identity?.tag ?? null,
    image: identity?.image ?? null,
    sif: identity?.sifObjectKey ?? null,
    decisions,
  };
}

/**
 * `spacktainers containers`: the container pipeline of one arch from the concretized locks —
 * the same locks that filled the build cache. For each container: its identity
 * (`describeContainer`), the decisions (build, upload, push, each with a reason), the
 * Dockerfile or pinned `.def`, a copy of its environment and lock (the build context and the
 * janitor's keep-list), and the jobs. Writes everything at once.
 */
export async function planContainers(
  options: PlanContainersOptions,
): Promise<{ plans: ContainerPlan[]; pipeline: GitlabPipeline; files: string[]; warnings: Warning[] }> {
  const { plans, pipeline, files, warnings } = await decideContainers(options);
  return {
    plans,
    pipeline,
    files: await writeFilesAtomic(resolve(options.root, options.out), files),
    warnings,
  };
}

/**
 * The decisions, files and pipeline of {@link planContainers}, without writing. With
 * `missingLocks: "report"`, a Spack container that has no lock yet (on a developer's machine,
 * before concretization) is planned as "build: not concretized yet" instead of failing.
 */
export async function decideContainers(
  options: PlanContainersOptions & { missingLocks?: "error" | "report" },
): Promise<{
  plans: ContainerPlan[];
  pipeline: GitlabPipeline;
  files: Record<string, string>;
  warnings: Warning[];
}> {
  const { root, arch, config, context } = options;
  const clients = options.clients ?? {};
  const planning: ContainerPlanContext = {
    root,
    arch,
    config,
    context,
    clients,
    outRelative: relative(root, resolve(root, options.out)),
    environments: resolve(root, options.environments),
    missingLocks: options.missingLocks ?? "error",
    // Build jobs fetch their context (Dockerfile, spack.yaml, spack.lock, pinned .def) from this
    // plan job in pipeline A, by id: the parent's gather artifact then stays YAML-only, as GitLab
    // wants of an archive that carries a child pipeline (5 MB).
    fromPlan: [{ pipeline: options.pipelineId, job: JOB_NAMES.planContainers(arch) }],
    ...(await resolveContainerBases({ root, arch, config, context, registry: clients.registry })),
  };
  const files: Record<string, string> = {};
  const jobs: Record<string, GitlabJob> = {};
  const plans: ContainerPlan[] = [];
  const warnings: Warning[] = [];
  const definitions = options.definitions
    .filter((d) => d.arch === arch)
    .sort((a, b) => naturalCompare(a.name, b.name));
  for (const definition of definitions) {
    const planned =
      definition.kind === "spack"
        ? await planSpackContainer(planning, definition)
        : await planCustomContainer(planning, definition);
    plans.push(planned.plan);
    for (const [path, text] of Object.entries(planned.files)) files[`${definition.name}/${path}`] = text;
    Object.assign(jobs, planned.jobs);
    warnings.push(...planned.warnings);
  }
  const pipeline = renderContainerPipeline({ arch, config, jobs });
  files["pipeline.yml"] = pipeline.yaml;
  files["plan.json"] = `${JSON.stringify(plans.map(summarizePlan), null, 2)}\n`;
  return { plans, pipeline: pipeline.pipeline, files, warnings };
}
