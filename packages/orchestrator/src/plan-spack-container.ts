import { readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  type ContainerIdentity,
  describeContainer,
  InputInvalidError,
  JOB_NAMES,
  OUT_PATHS,
  parseSpackLock,
  parseYaml,
  type SpackContainerDefinition,
  SpacktainersError,
  type Warning,
} from "@spacktainers/core";
import {
  type Decision,
  type DockerHubDecision,
  decideDockerHubPush,
  decideSifUpload,
  decideSpackContainer,
  dockerHubCreateUrl,
  installTreeOf,
  renderContainerDockerfile,
  spackContainerJobs,
} from "@spacktainers/image-builder";
import { CONTAINER_STAGES, type ContainerPlanContext } from "./container-plan-context.js";
import { decideOrBuild } from "./decide-or-build.js";
import type { PlannedContainer } from "./plan-containers.js";

/** A concretized environment's spack.yaml, read with the same limits as every YAML input. */
function parseEnvironmentYaml(text: string, file: string): unknown {
  const { value, problems } = parseYaml({ text, file });
  if (problems.length > 0) throw new InputInvalidError({ problems });
  return value;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `spack.lock` and `spack.yaml` of a concretized environment; a missing one names its concretize job. */
async function readConcretizedEnvironment(
  { root, arch }: ContainerPlanContext,
  definition: SpackContainerDefinition,
  environmentDir: string,
): Promise<{ lockText: string; spackYaml: string }> {
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
  return { lockText: lockText!, spackYaml: spackYaml! };
}

/**
 * The Docker Hub decision of a Spack container (when the site pushes there), and a warning
 * when its Docker Hub repository does not exist yet.
 */
async function decideDockerHub(
  { arch, config, context, clients }: ContainerPlanContext,
  definition: SpackContainerDefinition,
  identity: ContainerIdentity,
  image: Decision,
): Promise<{ dockerHub?: Decision; warnings: Warning[] }> {
  const hub = config.docker_hub;
  if (!hub.enabled || !hub.namespace) return { warnings: [] };
  const namespace = hub.namespace;
  const { repositoryMissing, ...dockerHub } = (await decideOrBuild(() =>
    decideDockerHubPush({
      enabled: true,
      isProd: context.isProd,
      offline: context.offline,
      namespace,
      repository: `${hub.repository_prefix}${definition.name}`,
      tag: identity.tag,
      arches: [arch],
      labels: identity.labels,
      labelPrefix: config.registry.label_prefix,
      imageRebuilt: image.action === "build",
      ...(clients.dockerHub ?? {}),
    }),
  )) as DockerHubDecision;
  const warnings: Warning[] = repositoryMissing
    ? [
        {
          code: "DOCKER_HUB_REPOSITORY_MISSING",
          file: definition.path,
          message: `${definition.name} (${arch}) is not pushed to Docker Hub: the repository ${namespace}/${hub.repository_prefix}${definition.name} does not exist`,
          hint: `create it at ${dockerHubCreateUrl(namespace)} (name ${hub.repository_prefix}${definition.name}); the next default-branch pipeline pushes the container`,
        },
      ]
    : [];
  return { dockerHub, warnings };
}

/**
 * One Spack container of an arch: its identity from the concretized lock, the image, SIF and
 * Docker Hub decisions, its build context (environment, lock, Dockerfile) and its jobs.
 */
export async function planSpackContainer(
  planning: ContainerPlanContext,
  definition: SpackContainerDefinition,
): Promise<PlannedContainer> {
  const { root, arch, config, context, clients } = planning;
  const environmentDir = join(planning.environments, arch, definition.name);
  const lockFile = relative(root, join(environmentDir, "spack.lock"));
  if (planning.missingLocks === "report" && !(await exists(join(environmentDir, "spack.lock")))) {
    const notConcretized = {
      action: "build" as const,
      reason: `not concretized yet: the version and tag come from ${lockFile}`,
    };
    return {
      plan: {
        name: definition.name,
        arch,
        kind: "spack",
        decisions: { image: notConcretized, sif: notConcretized },
      },
      files: {},
      jobs: {},
      warnings: [],
    };
  }
  const { lockText, spackYaml } = await readConcretizedEnvironment(planning, definition, environmentDir);
  const lock = parseSpackLock({ text: lockText, file: lockFile });
  const identity = await describeContainer({
    definition,
    lock,
    context,
    config,
    arch,
    baseImages: planning.baseDigests,
  });
  const image = await decideOrBuild(() =>
    decideSpackContainer({
      ...(clients.registry ? { client: clients.registry } : {}),
      offline: context.offline,
      container: identity,
      arch,
      labelPrefix: config.registry.label_prefix,
      baseImages: planning.baseDigests,
    }),
  );
  const s3 = clients.s3?.(arch);
  const sif =
    image.action === "build"
      ? { action: "build" as const, reason: `the image is built in this pipeline (${image.reason})` }
      : await decideOrBuild(() =>
          decideSifUpload({
            ...(s3 ? { s3 } : {}),
            offline: context.offline,
            bucket: identity.sifBucket,
            key: identity.sifObjectKey,
            metadata: identity.sifMetadata,
          }),
        );
  const { dockerHub, warnings } = await decideDockerHub(planning, definition, identity, image);
  const folder = `${planning.outRelative}/${definition.name}`;
  const decisions = { image, sif, ...(dockerHub ? { dockerHub } : {}) };
  // The builder's package list, for the prune's removed-package rule (absent: rule off).
  const packageList = await readFile(join(environmentDir, OUT_PATHS.packageList), "utf8").catch(
    () => undefined,
  );
  return {
    plan: { name: definition.name, arch, kind: "spack", identity, decisions },
    files: {
      "spack.yaml": spackYaml,
      "spack.lock": lockText,
      ...(packageList !== undefined ? { [OUT_PATHS.packageList]: packageList } : {}),
      Dockerfile: renderContainerDockerfile({
        name: definition.name,
        arch,
        definitionPath: definition.path,
        environmentDir: folder,
        installTree: installTreeOf(
          parseEnvironmentYaml(spackYaml, relative(root, join(environmentDir, "spack.yaml"))),
        ),
        files: definition.files,
        ...(definition.epilogue !== undefined ? { epilogue: definition.epilogue } : {}),
        strip: definition.strip,
      }),
    },
    jobs: spackContainerJobs({
      config,
      context,
      identity,
      baseImages: planning.bases,
      dockerfile: `${folder}/Dockerfile`,
      stages: CONTAINER_STAGES,
      needs: planning.fromPlan,
      decisions,
    }),
    warnings,
  };
}
