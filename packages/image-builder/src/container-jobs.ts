import {
  baseImageLabels,
  type CiContext,
  type ContainerIdentity,
  type GitlabNeed,
  type GitlabScriptJob,
  JOB_NAMES,
  type SiteConfig,
  SpacktainersError,
  siteDeployRunners,
} from "@spacktainers/core";
import { type BaseImageIdentity, baseImageBuildArgs } from "./base-image.js";
import { type BuildSecret, buildImageJobs } from "./build-image-jobs.js";
import type { Decision } from "./decide-image.js";
import { type JobArch, jobArch, type RegistryLogin, type S3Access } from "./job-options.js";
import { BUILD_SECRETS } from "./render-container-dockerfile.js";
import { deploySifJob, dockerHubPushJob, sifJob } from "./sif-jobs.js";

/** Labels every image gets from the CI context (values are `$CI_…` references expanded by GitLab). */
const OCI_JOB_LABELS = {
  "org.opencontainers.image.revision": "$CI_COMMIT_SHA",
  "org.opencontainers.image.source": "$CI_PROJECT_URL",
};

function archOf(config: SiteConfig, arch: string): JobArch {
  const architecture = config.architectures[arch];
  if (!architecture)
    throw new SpacktainersError({
      code: "ARCH_UNKNOWN",
      message: `architecture "${arch}" is not configured (configured: ${Object.keys(config.architectures).join(", ")})`,
      exitCode: 2,
    });
  return jobArch(arch, architecture);
}

/** The copy of a container's SIF to the site folder when `sif_deploy` is configured, after its SIF job. */
function siteDeployJobs(
  config: SiteConfig,
  container: Parameters<typeof deploySifJob>[0]["container"] & Pick<ContainerIdentity, "name" | "arch">,
  stage: string,
  s3: S3Access,
): Record<string, GitlabScriptJob> {
  if (!config.sif_deploy) return {};
  return deploySifJob({
    container,
    arch: container.arch,
    directory: config.sif_deploy.directory,
    runners: siteDeployRunners(config, config.sif_deploy),
    stage,
    needs: [JOB_NAMES.convertSif(container.name, container.arch)],
    s3,
  });
}

function registryLogin(config: SiteConfig): RegistryLogin {
  return {
    registry: "$CI_REGISTRY",
    userVar: config.registry.user_var,
    passwordVar: config.registry.password_var,
  };
}

/** `<image_prefix>/<name>`, the prefix left as written (GitLab expands `${CI_REGISTRY_IMAGE}`). */
export function baseImageRepository(config: SiteConfig, name: string): string {
  return `${config.registry.image_prefix.replace(/\/+$/, "")}/${name}`;
}

export interface BaseImageJobsOptions {
  config: SiteConfig;
  context: Pick<CiContext, "isProd">;
  /** The base image (from `describeBaseImage`). */
  base: BaseImageIdentity;
  /** Architectures to build (every active one: a base image is multi-arch). */
  arches: readonly string[];
  /** Stage of the jobs. */
  stage: string;
  /** Commit `spack.branch` resolved to, for the builder's `SPACK_COMMIT` arg and label. */
  spackCommit?: string;
}

/**
 * Build + manifest jobs of one base image for every arch, with its build args, its secrets (the
 * builder's public key as a file variable) and its labels; prod also moves `latest`.
 */
export function baseImageJobs(options: BaseImageJobsOptions): Record<string, GitlabScriptJob> {
  const { config, base } = options;
  const versions = config.versions;
  const { buildArgs, buildArgsFor } = baseImageBuildArgs({
    config,
    name: base.name,
    isProd: options.context.isProd,
    ...(options.spackCommit ? { spackCommit: options.spackCommit } : {}),
  });
  const secrets: BuildSecret[] = [];
  if (base.name === "builder" && config.spack.public_key_var)
    secrets.push({ id: "spack_public_key", fileVar: config.spack.public_key_var });
  // Package repositories on this GitLab are cloned with the job's token, mounted for one RUN only.
  if (base.name === "builder" && config.spack.repos.length > 0)
    secrets.push({ id: "ci_job_token", envVar: "CI_JOB_TOKEN" });
  return buildImageJobs({
    name: base.name,
    repository: baseImageRepository(config, base.name),
    tag: base.tag,
    alsoLatest: options.context.isProd,
    arches: options.arches.map((arch) => archOf(config, arch)),
    context: `images/${base.name}`,
    dockerfile: `images/${base.name}/Dockerfile`,
    buildArgs,
    ...(base.name === "builder" ? { buildArgsFor } : {}),
    secrets,
    labels: {
      ...baseImageLabels({
        name: base.name,
        labelPrefix: config.registry.label_prefix,
        checksum: base.checksum,
        ...(options.spackCommit ? { spackCommit: options.spackCommit } : {}),
        versions,
      }),
      ...OCI_JOB_LABELS,
    },
    stage: options.stage,
    login: registryLogin(config),
    tlsVerify: config.registry.tls_verify,
  });
}

/** Stages of a container's jobs. */
export type ContainerJobStages = {
  build: string;
  sif: string;
  deploy: string;
  dockerHub: string;
};

export interface SpackContainerJobsOptions {
  config: SiteConfig;
  context: Pick<CiContext, "isProd">;
  /** The container (from `describeContainer`). */
  identity: ContainerIdentity;
  /** Full references of the base images of this pipeline (`…/builder:<tag>`, …). */
  baseImages: { builder: string; runtime: string; singularitah: string };
  /** The generated Dockerfile (relative to the project dir; build context is the project dir). */
  dockerfile: string;
  stages: ContainerJobStages;
  /** Jobs the build job needs (the plan job whose artifacts hold the Dockerfile and lock). */
  needs?: GitlabNeed[];
  /** The decisions; a `skip` leaves the job out. Absent: every job is emitted. */
  decisions?: { image?: Decision; sif?: Decision; dockerHub?: Decision };
}

/** S3 access of an arch's bucket. */
function s3Access(bucket: {
  endpoint?: string;
  credentials: { access_key_var: string; secret_key_var: string };
}): S3Access {
  return {
    ...(bucket.endpoint ? { endpoint: bucket.endpoint } : {}),
    accessKeyVar: bucket.credentials.access_key_var,
    secretKeyVar: bucket.credentials.secret_key_var,
  };
}

/**
 * Every job of one Spack container on one arch: build + manifest (unless the image is up to
 * date), SIF conversion and upload, the optional site copy, and the Docker Hub copy on prod.
 */
export function spackContainerJobs(options: SpackContainerJobsOptions): Record<string, GitlabScriptJob> {
  const { config, identity, stages } = options;
  const arch = archOf(config, identity.arch);
  const architecture = config.architectures[identity.arch]!;
  const wants = (decision: Decision | undefined) => decision === undefined || decision.action === "build";
  const jobs: Record<string, GitlabScriptJob> = {};
  const buildsImage = wants(options.decisions?.image);
  const manifest = JOB_NAMES.publishImage(identity.name, identity.tag);
  if (buildsImage) {
    const cache = s3Access(architecture.cache_bucket);
    Object.assign(
      jobs,
      buildImageJobs({
        name: identity.name,
        repository: identity.repository,
        tag: identity.tag,
        arches: [arch],
        context: ".",
        dockerfile: options.dockerfile,
        buildArgs: { BUILDER_IMAGE: options.baseImages.builder, RUNTIME_IMAGE: options.baseImages.runtime },
        secrets: [
          { id: BUILD_SECRETS.accessKeyId, envVar: cache.accessKeyVar },
          { id: BUILD_SECRETS.secretAccessKey, envVar: cache.secretKeyVar },
        ],
        labels: { ...identity.labels, ...OCI_JOB_LABELS },
        stage: stages.build,
        ...(options.needs ? { needs: () => options.needs! } : {}),
        login: registryLogin(config),
        tlsVerify: config.registry.tls_verify,
      }),
    );
  }
  const after = (job: string): GitlabNeed[] => (job in jobs ? [job] : []);
  const containers = s3Access(architecture.containers_bucket);
  const buildsSif = buildsImage || wants(options.decisions?.sif);
  if (buildsSif) {
    Object.assign(
      jobs,
      sifJob({
        container: identity,
        arch,
        image: options.baseImages.singularitah,
        stage: stages.sif,
        needs: after(manifest),
        s3: containers,
        login: registryLogin(config),
        tlsVerify: config.registry.tls_verify,
      }),
    );
    Object.assign(jobs, siteDeployJobs(config, identity, stages.deploy, containers));
  }
  const hub = config.docker_hub;
  // The Docker Hub decision alone says whether to push: it already asks for a push when the
  // image is rebuilt, and says skip when the repository does not exist (nothing to push into).
  if (hub.enabled && hub.namespace && options.context.isProd && wants(options.decisions?.dockerHub)) {
    Object.assign(
      jobs,
      dockerHubPushJob({
        name: identity.name,
        arch,
        source: identity.image,
        destination: `${hub.namespace}/${hub.repository_prefix}${identity.name}:${identity.tag}`,
        stage: stages.dockerHub,
        needs: after(manifest),
        sourceLogin: registryLogin(config),
        dockerHub: { userVar: hub.user_var, passwordVar: hub.password_var },
        tlsVerify: config.registry.tls_verify,
        image: options.baseImages.singularitah,
      }),
    );
  }
  return jobs;
}

/**
 * A `.def` text whose `From:` names the image by digest, so the SIF is made from exactly the
 * image the decision looked at (a moving tag could change between decision and build).
 */
export function pinDefinitionSource(text: string, pinnedReference: string): string {
  let replaced = false;
  const out = text.replace(/^(\s*From:\s*)(\S+)(.*)$/im, (_, head: string, _old: string, tail: string) => {
    replaced = true;
    return `${head}${pinnedReference}${tail}`;
  });
  if (!replaced)
    throw new SpacktainersError({ code: "DEF_FROM_MISSING", message: "the .def file has no From: line" });
  return out;
}

export interface CustomContainerJobsOptions {
  config: SiteConfig;
  /** The container (from `describeContainer`). */
  identity: ContainerIdentity;
  /** The `.def` file to build (relative to the project dir), ideally pinned with {@link pinDefinitionSource}. */
  definitionFile: string;
  /** Digest of the source image for this arch (from `decideCustomContainer`), recorded as metadata. */
  sourceDigest?: string;
  /** The singularitah image of this pipeline. */
  singularitah: string;
  stages: Pick<ContainerJobStages, "sif" | "deploy">;
  needs?: GitlabNeed[];
}

/** SIF (and optional site copy) jobs of a custom `.def` container. */
export function customContainerJobs(options: CustomContainerJobsOptions): Record<string, GitlabScriptJob> {
  const { config, identity } = options;
  const arch = archOf(config, identity.arch);
  const architecture = config.architectures[identity.arch]!;
  const containers = s3Access(architecture.containers_bucket);
  const container = {
    ...identity,
    sifMetadata: {
      ...identity.sifMetadata,
      ...(options.sourceDigest ? { digest: options.sourceDigest } : {}),
    },
  };
  const jobs: Record<string, GitlabScriptJob> = sifJob({
    container,
    arch,
    image: options.singularitah,
    stage: options.stages.sif,
    ...(options.needs ? { needs: options.needs } : {}),
    definitionFile: options.definitionFile,
    s3: containers,
    tlsVerify: config.registry.tls_verify,
  });
  Object.assign(jobs, siteDeployJobs(config, container, options.stages.deploy, containers));
  return jobs;
}
