import { readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import {
  architectureTemplates,
  type CiContext,
  type ContainerDefinition,
  type GitlabJob,
  type GitlabPipeline,
  InputInvalidError,
  naturalCompare,
  parseSpackLock,
  parseYaml,
  renderPipelineYaml,
  type SiteConfig,
  SpacktainersError,
  shareJobSettings,
  type Warning,
} from "@spacktainers/core";
import { writeFilesAtomic } from "@spacktainers/core/node";
import {
  type ContainerJobStages,
  type CustomContainerDecision,
  type createS3Client,
  customContainerJobs,
  type Decision,
  type DockerHubDecision,
  decideCustomContainer,
  decideDockerHubPush,
  decideSifUpload,
  decideSpackContainer,
  describeBaseImage,
  dockerHubCreateUrl,
  installTreeOf,
  pinDefinitionSource,
  type RegistryClient,
  renderContainerDockerfile,
  spackContainerJobs,
} from "@spacktainers/image-builder";
import { type ContainerIdentity, describeContainer } from "@spacktainers/spack-env-builder";
import { decideOrBuild } from "./decide-or-build.js";
import { JOB_NAMES, OUT_PATHS } from "./job-names.js";

/** A concretized environment's spack.yaml, read with the same limits as every YAML input. */
function parseEnvironmentYaml(text: string, file: string): unknown {
  const { value, problems } = parseYaml({ text, file });
  if (problems.length > 0) throw new InputInvalidError({ problems });
  return value;
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

/** Digests of the arch's builder and runtime images; absent offline or when they cannot be read. */
async function baseImageDigests({
  registry,
  bases,
  arch,
  context,
}: {
  registry?: RegistryClient | undefined;
  bases: { builder: string; runtime: string };
  arch: string;
  context: CiContext;
}): Promise<{ builder?: string; runtime?: string }> {
  if (!registry || context.offline) return {};
  const digests: { builder?: string; runtime?: string } = {};
  for (const name of ["builder", "runtime"] as const) {
    const reference = context.registryImage
      ? bases[name].replace(/\$\{?CI_REGISTRY_IMAGE\}?/g, context.registryImage)
      : bases[name];
    const found = await registry.inspectImage({ reference, arch }).catch(() => undefined);
    if (found?.exists && found.digest) digests[name] = found.digest;
  }
  return digests;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Stages of the container pipeline, in order. */
const STAGES: ContainerJobStages = { build: "build", sif: "sif", deploy: "deploy", dockerHub: "docker hub" };

type S3Client = NonNullable<ReturnType<typeof createS3Client>>;

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
  const offline = context.offline;
  const out = resolve(root, options.out);
  const outRelative = relative(root, out);
  const prefix = config.registry.image_prefix.replace(/\/+$/, "");
  const bases = Object.fromEntries(
    await Promise.all(
      (["builder", "runtime", "singularitah"] as const).map(async (name) => [
        name,
        `${prefix}/${name}:${(await describeBaseImage({ root, name, config, isProd: context.isProd })).tag}`,
      ]),
    ),
  ) as { builder: string; runtime: string; singularitah: string };
  // The digests of this arch's builder and runtime images (built earlier in pipeline A when
  // needed): recorded as labels and compared, so a base-image change rebuilds the containers.
  const baseDigests = await baseImageDigests({ registry: clients.registry, bases, arch, context });
  const architecture = config.architectures[arch]!;
  const files: Record<string, string> = {};
  const jobs: Record<string, GitlabJob> = {};
  const plans: ContainerPlan[] = [];
  const warnings: Warning[] = [];
  // Build jobs fetch their context (Dockerfile, spack.yaml, spack.lock, pinned .def) from this
  // plan job in pipeline A, by id: the parent's gather artifact then stays YAML-only, as GitLab
  // wants of an archive that carries a child pipeline (5 MB).
  const fromPlan = [{ pipeline: options.pipelineId, job: JOB_NAMES.planContainers(arch) }];
  const definitions = options.definitions
    .filter((d) => d.arch === arch)
    .sort((a, b) => naturalCompare(a.name, b.name));
  for (const definition of definitions) {
    const folder = `${outRelative}/${definition.name}`;
    const s3 = clients.s3?.(arch);
    if (definition.kind === "spack") {
      const environmentDir = join(resolve(root, options.environments), arch, definition.name);
      const lockFile = relative(root, join(environmentDir, "spack.lock"));
      if (options.missingLocks === "report" && !(await exists(join(environmentDir, "spack.lock")))) {
        const notConcretized = {
          action: "build" as const,
          reason: `not concretized yet: the version and tag come from ${lockFile}`,
        };
        plans.push({
          name: definition.name,
          arch,
          kind: "spack",
          decisions: { image: notConcretized, sif: notConcretized },
        });
        continue;
      }
      const [lockText, spackYaml] = await Promise.all(
        ["spack.lock", "spack.yaml"].map((file) =>
          readFile(join(environmentDir, file), "utf8").catch((error: NodeJS.ErrnoException) => {
            throw new SpacktainersError({
              code: "ENVIRONMENT_MISSING",
              exitCode: 2,
              message: `cannot read ${relative(root, join(environmentDir, file))} (${error.code}): the plan job needs the artifacts of "${JOB_NAMES.concretize(definition.name, arch)}"`,
              cause: error,
            });
          }),
        ),
      );
      const lock = parseSpackLock({ text: lockText!, file: lockFile });
      const identity = await describeContainer({
        definition,
        lock,
        context,
        config,
        arch,
        baseImages: baseDigests,
      });
      const image = await decideOrBuild(() =>
        decideSpackContainer({
          ...(clients.registry ? { client: clients.registry } : {}),
          offline,
          container: identity,
          arch,
          labelPrefix: config.registry.label_prefix,
          baseImages: baseDigests,
        }),
      );
      const sif =
        image.action === "build"
          ? { action: "build" as const, reason: `the image is built in this pipeline (${image.reason})` }
          : await decideOrBuild(() =>
              decideSifUpload({
                ...(s3 ? { s3 } : {}),
                offline,
                bucket: identity.sifBucket,
                key: identity.sifObjectKey,
                metadata: identity.sifMetadata,
              }),
            );
      const hub = config.docker_hub;
      const hubDecision =
        hub.enabled && hub.namespace
          ? await decideOrBuild(() =>
              decideDockerHubPush({
                enabled: true,
                isProd: context.isProd,
                offline,
                namespace: hub.namespace!,
                repository: `${hub.repository_prefix}${definition.name}`,
                tag: identity.tag,
                arches: [arch],
                labels: identity.labels,
                labelPrefix: config.registry.label_prefix,
                imageRebuilt: image.action === "build",
                ...(clients.dockerHub ?? {}),
              }),
            )
          : undefined;
      let dockerHub: Decision | undefined;
      if (hubDecision) {
        const { repositoryMissing, ...decision } = hubDecision as DockerHubDecision;
        dockerHub = decision;
        if (repositoryMissing)
          warnings.push({
            code: "DOCKER_HUB_REPOSITORY_MISSING",
            file: definition.path,
            message: `${definition.name} (${arch}) is not pushed to Docker Hub: the repository ${hub.namespace}/${hub.repository_prefix}${definition.name} does not exist`,
            hint: `create it at ${dockerHubCreateUrl(hub.namespace!)} (name ${hub.repository_prefix}${definition.name}); the next default-branch pipeline pushes the container`,
          });
      }
      files[`${definition.name}/spack.yaml`] = spackYaml!;
      files[`${definition.name}/spack.lock`] = lockText!;
      // The builder's package list, for the prune's removed-package rule (absent: rule off).
      const packageList = await readFile(join(environmentDir, OUT_PATHS.packageList), "utf8").catch(
        () => undefined,
      );
      if (packageList !== undefined) files[`${definition.name}/${OUT_PATHS.packageList}`] = packageList;
      files[`${definition.name}/Dockerfile`] = renderContainerDockerfile({
        name: definition.name,
        arch,
        definitionPath: definition.path,
        environmentDir: folder,
        installTree: installTreeOf(
          parseEnvironmentYaml(spackYaml!, relative(root, join(environmentDir, "spack.yaml"))),
        ),
        files: definition.files,
        ...(definition.epilogue !== undefined ? { epilogue: definition.epilogue } : {}),
        strip: definition.strip,
      });
      const decisions = { image, sif, ...(dockerHub ? { dockerHub } : {}) };
      plans.push({ name: definition.name, arch, kind: "spack", identity, decisions });
      Object.assign(
        jobs,
        spackContainerJobs({
          config,
          context,
          identity,
          baseImages: bases,
          dockerfile: `${folder}/Dockerfile`,
          stages: STAGES,
          needs: fromPlan,
          decisions,
        }),
      );
    } else {
      const identity = await describeContainer({ definition, context, config, arch });
      const decision: CustomContainerDecision = await decideOrBuild(() =>
        decideCustomContainer({
          ...(clients.registry ? { client: clients.registry } : {}),
          ...(s3 ? { s3 } : {}),
          offline,
          source: definition.source.original,
          arch,
          checksum: definition.checksum,
          bucket: identity.sifBucket,
          key: identity.sifObjectKey,
        }),
      );
      const pinned = decision.sourceDigest
        ? pinDefinitionSource(
            definition.text,
            `${definition.source.original.split("@")[0]}@${decision.sourceDigest}`,
          )
        : definition.text;
      files[`${definition.name}/${definition.name}.def`] = pinned;
      plans.push({ name: definition.name, arch, kind: "custom", identity, decisions: { sif: decision } });
      if (decision.action === "build") {
        Object.assign(
          jobs,
          customContainerJobs({
            config,
            identity,
            definitionFile: `${folder}/${definition.name}.def`,
            ...(decision.sourceDigest ? { sourceDigest: decision.sourceDigest } : {}),
            singularitah: bases.singularitah,
            stages: STAGES,
            needs: fromPlan,
          }),
        );
      }
    }
  }
  if (Object.keys(jobs).length === 0) {
    jobs[`nothing to build for ${arch}`] = {
      stage: STAGES.build,
      tags: [...architecture.runner_tags],
      interruptible: true,
      timeout: "10m",
      script: [`echo "Every container of ${arch} is up to date; nothing to build."`],
    };
  }
  const used = new Set(Object.values(jobs).map((job) => job.stage));
  const pipeline: GitlabPipeline = { stages: Object.values(STAGES).filter((stage) => used.has(stage)), jobs };
  files["pipeline.yml"] = renderPipelineYaml(
    shareJobSettings(pipeline, { templates: architectureTemplates(config) }),
  );
  files["plan.json"] = `${JSON.stringify(plans.map(summarizePlan), null, 2)}\n`;
  return { plans, pipeline, files, warnings };
}
