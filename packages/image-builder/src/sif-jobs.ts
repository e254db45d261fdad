import {
  type GitlabNeed,
  type GitlabScriptJob,
  JOB_NAMES,
  type Runners,
  runnerJob,
  TOOLS_SETUP,
} from "@spacktainers/core";
import {
  assertVariableName,
  DEFAULT_JOB_IMAGES,
  GITLAB_REGISTRY_LOGIN,
  type JobArch,
  loginLine,
  type RegistryLogin,
  type S3Access,
  shellQuote,
} from "./job-options.js";

/** What a SIF job needs to know of its container (fields of `describeContainer`'s identity). */
export type SifTarget = {
  /** Container name. */
  name: string;
  /** Image to convert, `repository:tag` (spack containers). */
  image?: string;
  /** SIF file name. */
  sifFileName: string;
  /** Bucket and key. */
  sifBucket: string;
  sifObjectKey: string;
  /** Object metadata. */
  sifMetadata: Record<string, string>;
};

export interface SifJobOptions {
  /** The container. */
  container: SifTarget;
  /** Its architecture's runner tags and variables. */
  arch: JobArch;
  /** The singularitah image (`$CI_REGISTRY_IMAGE/singularitah:<tag>`). */
  image: string;
  /** Stage. */
  stage: string;
  /** Jobs this one waits for (the manifest job of the image). */
  needs?: GitlabNeed[];
  /**
   * Custom containers: the `.def` file to build from (relative to the project dir) instead of
   * the registry image.
   */
  definitionFile?: string;
  /** S3 of the containers bucket. */
  s3: S3Access;
  /** Login to the registry holding `container.image` (default GitLab's). */
  login?: RegistryLogin;
  /** Verify TLS (site config `registry.tls_verify`, default true). */
  tlsVerify?: boolean;
  /** Keep the SIF as an artifact for the site deploy job (default false: SIFs are large). */
  keepArtifact?: boolean;
  /** Timeout (default `2h`). */
  timeout?: string;
}

/** `spacktainers-image upload-sif …` with the metadata, credentials by variable NAME. */
function uploadLine(file: string, container: SifTarget, s3: S3Access): string {
  const metadata = Object.entries(container.sifMetadata)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `--metadata ${shellQuote(`${key}=${value}`)}`);
  return [
    "pnpm spacktainers-image upload-sif",
    `--file ${shellQuote(file)}`,
    `--bucket ${shellQuote(container.sifBucket)}`,
    `--key ${shellQuote(container.sifObjectKey)}`,
    ...metadata,
    ...(s3.endpoint ? [`--endpoint ${shellQuote(s3.endpoint)}`] : []),
    `--access-key-var ${assertVariableName(s3.accessKeyVar, "S3 access key variable")}`,
    `--secret-key-var ${assertVariableName(s3.secretKeyVar, "S3 secret key variable")}`,
  ].join(" ");
}

/**
 * Converts a registry image (or a `.def`) to SIF with apptainer and uploads it with its
 * metadata through `spacktainers-image upload-sif` (S3 multipart, replacing s3cmd and its
 * sed-edited config file). Registry credentials reach apptainer as `$VAR` references.
 */
export function sifJob(options: SifJobOptions): Record<string, GitlabScriptJob> {
  const { container, arch } = options;
  const login = options.login ?? GITLAB_REGISTRY_LOGIN;
  const tlsVerify = options.tlsVerify ?? true;
  const file = container.sifFileName;
  const source = options.definitionFile
    ? shellQuote(options.definitionFile)
    : `"docker://${container.image ?? ""}"`;
  if (!options.definitionFile && !container.image) throw new Error(`sifJob: ${container.name} has no image`);
  return {
    [JOB_NAMES.convertSif(container.name, arch.arch)]: runnerJob(arch, {
      stage: options.stage,
      image: options.image,
      ...(options.needs ? { needs: options.needs } : {}),
      variables: {
        // References, expanded by the runner; the values stay masked CI variables.
        APPTAINER_DOCKER_USERNAME: `$${assertVariableName(login.userVar, "registry user variable")}`,
        APPTAINER_DOCKER_PASSWORD: `$${assertVariableName(login.passwordVar, "registry password variable")}`,
      },
      interruptible: true,
      timeout: options.timeout ?? "2h",
      // upload-sif runs from the repository checkout (the image has Node.js; nothing published).
      before_script: [...TOOLS_SETUP],
      script: [
        `apptainer build ${tlsVerify ? "" : "--nohttps "}--force ${shellQuote(file)} ${source}`,
        uploadLine(file, container, options.s3),
      ],
      ...(options.keepArtifact ? { artifacts: { paths: [file], expire_in: "1 day" } } : {}),
    }),
  };
}

export interface DeploySifJobOptions {
  /** The container. */
  container: SifTarget;
  /** Architecture (job name). */
  arch: string;
  /** Folder the SIF is copied into (`sif_deploy.directory`). */
  directory: string;
  /** The site runner (`siteDeployRunners`: `sif_deploy.runner_tags`, the proxy with `ci.proxy`). */
  runners: Runners;
  /** Stage. */
  stage: string;
  /** Jobs it waits for (the SIF job). */
  needs?: GitlabNeed[];
  /** S3 of the containers bucket. */
  s3: S3Access;
}

/**
 * Copies a SIF from S3 into the site directory (reference: a job on bb5) on the configured
 * runner. `download-sif` writes a temp file then renames, so readers never see half a SIF.
 */
export function deploySifJob(options: DeploySifJobOptions): Record<string, GitlabScriptJob> {
  const { container, s3 } = options;
  const target = `${options.directory.replace(/\/+$/, "")}/${container.sifFileName}`;
  return {
    [JOB_NAMES.deploySif(container.name, options.arch)]: runnerJob(options.runners, {
      stage: options.stage,
      ...(options.needs ? { needs: options.needs } : {}),
      interruptible: false,
      timeout: "1h",
      before_script: [...TOOLS_SETUP],
      script: [
        [
          "pnpm spacktainers-image download-sif",
          `--bucket ${shellQuote(container.sifBucket)}`,
          `--key ${shellQuote(container.sifObjectKey)}`,
          `--file ${shellQuote(target)}`,
          "--record",
          ...(s3.endpoint ? [`--endpoint ${shellQuote(s3.endpoint)}`] : []),
          `--access-key-var ${assertVariableName(s3.accessKeyVar, "S3 access key variable")}`,
          `--secret-key-var ${assertVariableName(s3.secretKeyVar, "S3 secret key variable")}`,
        ].join(" "),
      ],
    }),
  };
}

export interface DockerHubPushJobOptions {
  /** Short name (job name). */
  name: string;
  /** Architecture whose runner runs the copy. */
  arch: JobArch;
  /** Source `repository:tag` in the GitLab registry. */
  source: string;
  /** Destination `namespace/repository:tag` on Docker Hub. */
  destination: string;
  /** Stage. */
  stage: string;
  needs?: GitlabNeed[];
  /** Source registry login (default GitLab's). */
  sourceLogin?: RegistryLogin;
  /** NAMES of the Docker Hub credential variables (site config `docker_hub.user_var`/`password_var`). */
  dockerHub: { userVar: string; passwordVar: string };
  /** Verify TLS of the source registry (Docker Hub is always verified). */
  tlsVerify?: boolean;
  /** Image with skopeo (default skopeo's stable image). */
  image?: string;
}

/** Copies the published image (every arch of its index) to Docker Hub with skopeo. */
export function dockerHubPushJob(options: DockerHubPushJobOptions): Record<string, GitlabScriptJob> {
  const tlsVerify = options.tlsVerify ?? true;
  const hub: RegistryLogin = { registry: "docker.io", ...options.dockerHub };
  return {
    [JOB_NAMES.pushToDockerHub(options.name, options.arch.arch)]: runnerJob(options.arch, {
      stage: options.stage,
      image: options.image ?? DEFAULT_JOB_IMAGES.skopeo,
      ...(options.needs ? { needs: options.needs } : {}),
      interruptible: false,
      timeout: "1h",
      script: [
        loginLine("skopeo", options.sourceLogin ?? GITLAB_REGISTRY_LOGIN, tlsVerify),
        loginLine("skopeo", hub, true),
        `skopeo copy --all --src-tls-verify=${tlsVerify} --dest-tls-verify=true "docker://${options.source}" "docker://docker.io/${options.destination}"`,
      ],
    }),
  };
}
