import { type GitlabNeed, type GitlabScriptJob, JOB_NAMES, runnerJob } from "@spacktainers/core";
import {
  assertVariableName,
  DEFAULT_JOB_IMAGES,
  GITLAB_REGISTRY_LOGIN,
  type JobArch,
  loginLine,
  type RegistryLogin,
  shellQuote,
  variableSuffix,
} from "./job-options.js";

/** A build secret: buildah `--secret id=<id>,src=$FILE_VAR` or `,env=VAR`. */
export type BuildSecret = {
  /** Id the Dockerfile mounts (`RUN --mount=type=secret,id=<id>`). */
  id: string;
  /** NAME of a GitLab *file* variable (its value is a path). */
  fileVar?: string;
  /** NAME of a variable whose value is the secret. */
  envVar?: string;
};

export interface BuildImageJobsOptions {
  /** Short name used in job names and dotenv variables (`builder`, `brayns`). */
  name: string;
  /** Repository without tag, e.g. `$CI_REGISTRY_IMAGE/builder`. */
  repository: string;
  /** Public tag moved by the manifest job. */
  tag: string;
  /** Also move `latest` (prod base images). */
  alsoLatest?: boolean;
  /** Architectures; the manifest job waits for every one. */
  arches: readonly JobArch[];
  /** Build context, relative to the project dir (`images/builder`, `.`). */
  context: string;
  /** Dockerfile, relative to the project dir. */
  dockerfile: string;
  /** Non-secret build arguments (values may reference `$CI_…` variables). */
  buildArgs?: Record<string, string>;
  /** Per-arch build arguments (e.g. the arch's build cache bucket), merged over `buildArgs`. */
  buildArgsFor?: (arch: string) => Record<string, string>;
  /** Build secrets, referenced by variable NAME. */
  secrets?: readonly BuildSecret[];
  /** Labels (full names); values may reference `$CI_…` variables. */
  labels?: Record<string, string>;
  /** Stage of the build jobs. */
  stage: string;
  /** Stage of the manifest job (default: same as `stage`, GitLab orders it by `needs`). */
  manifestStage?: string;
  /** Jobs each build job needs (e.g. the concretize job whose artifacts hold spack.lock). */
  needs?: (arch: string) => GitlabNeed[];
  /** Registry login (default GitLab's own, `$CI_REGISTRY_USER`/`$CI_REGISTRY_PASSWORD`). */
  login?: RegistryLogin;
  /** Verify TLS of the registry (site config `registry.tls_verify`, default true). */
  tlsVerify?: boolean;
  /** Image the jobs run in (default buildah's stable image). */
  image?: string;
  /** Timeout of a build job (default `3h`). */
  timeout?: string;
}

/** The dotenv variable carrying an arch's digest from its build job to the manifest job. */
export function digestVariable(name: string, arch: string): string {
  return `DIGEST_${variableSuffix(name)}_${variableSuffix(arch)}`;
}

/**
 * Per-arch buildah build jobs plus one manifest job. Self-contained (no `include:` of an
 * external template). Each build job pushes its arch to a per-arch staging tag
 * (`<tag>.build-<arch>`, overwritten by reruns, never the public one) and hands the manifest
 * digest over through a dotenv report; the manifest job, which needs every build job, makes
 * the index from those digests and only then moves the public tag. So a half-built multi-arch
 * image never replaces a working one.
 */
export function buildImageJobs(options: BuildImageJobsOptions): Record<string, GitlabScriptJob> {
  const login = options.login ?? GITLAB_REGISTRY_LOGIN;
  const tlsVerify = options.tlsVerify ?? true;
  const image = options.image ?? DEFAULT_JOB_IMAGES.buildah;
  const jobs: Record<string, GitlabScriptJob> = {};
  // Daemonless buildah in an unprivileged CI container, unless the arch's variables say otherwise
  // (a site may set its own STORAGE_DRIVER): the arch's values are put over these defaults.
  const common = (jobArch: JobArch) => ({
    image,
    variables: { BUILDAH_ISOLATION: "chroot", STORAGE_DRIVER: "vfs", ...jobArch.variables },
  });
  const buildArgs = (arch: string) =>
    Object.entries({ ...(options.buildArgs ?? {}), ...(options.buildArgsFor?.(arch) ?? {}) }).flatMap(
      ([key, value]) => ["--build-arg", shellQuote(`${key}=${value}`)],
    );
  const labels = Object.entries(options.labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, value]) => ["--label", shellQuote(`${key}=${value}`)]);
  const secrets = (options.secrets ?? []).flatMap((secret) => {
    if (secret.fileVar)
      return [
        "--secret",
        `"id=${secret.id},src=$${assertVariableName(secret.fileVar, "secret file variable")}"`,
      ];
    if (secret.envVar)
      return ["--secret", `id=${secret.id},env=${assertVariableName(secret.envVar, "secret variable")}`];
    throw new Error(`build secret ${secret.id} needs fileVar or envVar`);
  });
  for (const jobArch of options.arches) {
    const { arch } = jobArch;
    const local = `localhost/${options.name}:${arch}`;
    const staging = `${options.repository}:${options.tag}.build-${arch}`;
    const digestFile = `${options.name}-${arch}.digest`;
    const dotenv = `${options.name}-${arch}.env`;
    jobs[JOB_NAMES.buildImage(options.name, arch)] = runnerJob(jobArch, {
      stage: options.stage,
      ...common(jobArch),
      ...(options.needs ? { needs: options.needs(arch) } : {}),
      interruptible: true,
      timeout: options.timeout ?? "3h",
      script: [
        loginLine("buildah", login, tlsVerify),
        [
          "buildah build",
          `--platform linux/${arch}`,
          // FROM pulls the base images (builder, runtime) from the same registry: without this,
          // a registry with tls_verify: false could be pushed to but not built from.
          ...(tlsVerify ? [] : ["--tls-verify=false"]),
          `--file ${shellQuote(options.dockerfile)}`,
          ...buildArgs(arch),
          ...secrets,
          ...labels,
          `--tag ${local}`,
          shellQuote(options.context),
        ].join(" "),
        `buildah push --tls-verify=${tlsVerify} --digestfile ${digestFile} ${local} "docker://${staging}"`,
        `echo "${digestVariable(options.name, arch)}=$(cat ${digestFile})" > ${dotenv}`,
      ],
      artifacts: { reports: { dotenv }, expire_in: "1 week" },
    });
  }
  // A shell runner keeps buildah's local storage between jobs: a fixed name would make the next
  // pipeline's `manifest create` fail ("that name is already in use"), and two pipelines on one
  // runner would share the list. One name per job, removed once pushed.
  const index = `localhost/${options.name}-index-$CI_JOB_ID`;
  const targets = [options.tag, ...(options.alsoLatest ? ["latest"] : [])];
  const first = options.arches[0];
  if (!first) throw new Error("buildImageJobs: no architecture");
  // It runs on the first arch's runners: their variables (resources, proxy) apply.
  jobs[JOB_NAMES.publishImage(options.name, options.tag)] = runnerJob(first, {
    stage: options.manifestStage ?? options.stage,
    ...common(first),
    needs: options.arches.map(({ arch }) => ({
      job: JOB_NAMES.buildImage(options.name, arch),
      artifacts: true,
    })),
    interruptible: false,
    timeout: "30m",
    script: [
      loginLine("buildah", login, tlsVerify),
      `buildah manifest create ${index}`,
      ...options.arches.map(
        ({ arch }) =>
          `buildah manifest add --tls-verify=${tlsVerify} ${index} "docker://${options.repository}@$${digestVariable(options.name, arch)}"`,
      ),
      ...targets.map(
        (tag) =>
          `buildah manifest push --all --tls-verify=${tlsVerify} ${index} "docker://${options.repository}:${tag}"`,
      ),
      `buildah manifest rm ${index}`,
    ],
  });
  return jobs;
}
