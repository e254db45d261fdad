/**
 * The site configuration, `container_definitions/spacktainers.yaml`. Field names
 * are the YAML keys. Everything the original tool hard-coded (hosts, buckets, runner tags,
 * resources, the Spack template) lives here. Defaults are filled in by {@link parseSiteConfig}.
 */
export type SiteConfig = {
  /** Where images go and how they are labelled. */
  registry: RegistryConfig;
  /** Architectures by name (`amd64`, `arm64`, …). A folder of that name holds its definitions. */
  architectures: Record<string, ArchitectureConfig>;
  /** Copy of prod images to Docker Hub; off unless enabled. */
  docker_hub: DockerHubConfig;
  /** Optional copy of SIF files to a site filesystem by a job on a dedicated runner. */
  sif_deploy?: SifDeployConfig;
  /** The site's HTTP proxy, used by the jobs of architectures with `proxy: true`. */
  proxy?: ProxyConfig;
  /** Spack used by the builder image and the template under every environment. */
  spack: SpackConfig;
  /**
   * Tool versions installed in the singularitah image: `apptainer` (or `singularity`) →
   * `APPTAINER_VERSION`, `node` → `NODE_VERSION`. Build args, so part of its tag.
   */
  versions: { apptainer?: string; singularity?: string; node?: string };
  /** How the jobs that run spacktainers' own tools are set up. */
  ci: CiJobsConfig;
};

/** Settings of the jobs that run spacktainers itself (generate, gather, split, prune). */
export type CiJobsConfig = {
  /** Image with Node.js 20 and git that runs our bins. Default `node:20-bookworm`. */
  tools_image: string;
  /** Runner tags of jobs not tied to an architecture (generate, gather). Default none. */
  runner_tags: string[];
  /**
   * True when the jobs not tied to an architecture (generate, gather, remove-stale-sifs, the
   * site sync and SIF copies to the site, the checks, the release) reach the outside through the site `proxy`: they get
   * its variables, as the jobs of an arch with `proxy: true` do. Default false.
   */
  proxy: boolean;
  /** CI variable holding a GitLab token with `read_api` (CI_JOB_TOKEN cannot list bridges). Default `GITLAB_API_TOKEN`. */
  api_token_var: string;
};

/** Registry and label settings. */
export type RegistryConfig = {
  /** Image prefix; may reference CI variables. Default `${CI_REGISTRY_IMAGE}`. */
  image_prefix: string;
  /**
   * Prefix of our OCI labels. Default `ch.epfl.bbpgitlab.`, the original tool's, so images it
   * built are recognised.
   */
  label_prefix: string;
  /** Name of the CI variable holding the registry user (default `CI_REGISTRY_USER`). */
  user_var: string;
  /** Name of the CI variable holding the registry password (default `CI_REGISTRY_PASSWORD`). */
  password_var: string;
  /** Verify TLS when talking to the registry. Default true; turn off only for a lab registry. */
  tls_verify: boolean;
};

/** Per-architecture settings. */
export type ArchitectureConfig = {
  /** GitLab runner tags of every job of this architecture. */
  runner_tags: string[];
  /**
   * True when jobs of this arch reach the outside through the site proxy (top-level `proxy`):
   * their `variables` then carry `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and the lower-case forms.
   */
  proxy: boolean;
  /**
   * Spack requirement applied to all packages, e.g. `%gcc@12 os=ubuntu22.04 target=x86_64_v3`.
   * Combined with a definition's own `packages:all:require`.
   */
  spack_requirement: string;
  /**
   * Extra CI variables of this arch's jobs (KUBERNETES_CPU_REQUEST, …). No secrets here. With
   * `proxy: true`, parsing adds the proxy variables (a variable set here by hand wins).
   */
  variables: Record<string, string>;
  /** The Spack binary build cache of this arch. */
  cache_bucket: BucketConfig;
  /** Where this arch's SIF files go. */
  containers_bucket: ContainersBucketConfig;
};

/** Names (never values) of the CI variables that hold S3 credentials. */
export type CredentialsConfig = {
  /** CI variable holding the access key id, e.g. `AWS_CACHE_ACCESS_KEY_ID`. */
  access_key_var: string;
  /** CI variable holding the secret access key, e.g. `AWS_CACHE_SECRET_ACCESS_KEY`. */
  secret_key_var: string;
};

/** An S3 bucket. */
export type BucketConfig = {
  /** Bucket used on branches. */
  name: string;
  /** Bucket used on the default branch, when it differs from `name`. */
  prod_name?: string;
  /** S3 endpoint URL for non-AWS stores (`https://s3.example.org`). */
  endpoint?: string;
  /** Names of the CI variables with the credentials. */
  credentials: CredentialsConfig;
  /** Build cache only: specs older than this many days may be pruned. */
  max_age_days?: number;
};

/**
 * The bucket SIF files are uploaded to. No `max_age_days`: SIFs go with their branch
 * (`remove-stale-sifs`), prod SIFs are kept.
 */
export type ContainersBucketConfig = Omit<BucketConfig, "max_age_days"> & {
  /** Key prefix of SIF files. Default `containers/`. */
  prefix: string;
};

/** Docker Hub copy of prod images. */
export type DockerHubConfig = {
  /** Push prod images to Docker Hub. Default false. */
  enabled: boolean;
  /** Docker Hub namespace (reference: `bluebrain`). */
  namespace?: string;
  /** Prefix of repository names (reference: `spackah-`). */
  repository_prefix: string;
  /** CI variable holding the Docker Hub user. Default `DOCKERHUB_USER`. */
  user_var: string;
  /** CI variable holding the Docker Hub token. Default `DOCKERHUB_PASSWORD`. */
  password_var: string;
};

/** An HTTP proxy for jobs. Its URLs land in the generated YAML: no credentials in them. */
export type ProxyConfig = {
  /** Proxy for `http://` URLs, e.g. `http://proxy.example.org:3128`. */
  http: string;
  /** Proxy for `https://` URLs (default: `http`). */
  https?: string;
  /** Hosts, domains (`.example.org`) and addresses reached directly (`NO_PROXY`). Default none. */
  no_proxy: string[];
};

/** The site copy of SIF files (reference: a job on bb5 copying into a project folder). */
export type SifDeployConfig = {
  /** Runner tags of the deploy job. */
  runner_tags: string[];
  /** Directory the SIF files are copied into. */
  directory: string;
};

/** Spack settings. */
export type SpackConfig = {
  /** Git URL of the Spack repository cloned into the builder image. */
  repository: string;
  /** Branch, tag or commit of that repository. */
  branch: string;
  /**
   * Extra Spack package repositories cloned into the builder image and added with
   * `spack repo add`, in this order. Default none.
   */
  repos: SpackPackageRepository[];
  /** CI variable holding the public key that build caches are signed with. */
  public_key_var?: string;
  /** CI variable holding the private signing key (only build jobs see it; never an image layer). */
  private_key_var?: string;
  /** The environment merged under every container's `spack:` section. */
  template: Record<string, unknown>;
};

/** A Spack package repository of the builder image. */
export type SpackPackageRepository = {
  /** Git URL; one on the project's GitLab is fetched with the job's `CI_JOB_TOKEN`. */
  url: string;
  /** Branch or tag to check out (exactly one of `branch` and `commit`). */
  branch?: string;
  /** Commit to check out (exactly one of `branch` and `commit`). */
  commit?: string;
  /** Folder of the clone holding `repo.yaml`, relative. Default `.`. */
  path: string;
};

/** Names of every CI variable the config says holds a credential, for the secret masker. */
export function credentialVariableNames(config: SiteConfig): string[] {
  const names = new Set<string>([config.registry.user_var, config.registry.password_var]);
  for (const arch of Object.values(config.architectures)) {
    for (const bucket of [arch.cache_bucket, arch.containers_bucket]) {
      names.add(bucket.credentials.access_key_var);
      names.add(bucket.credentials.secret_key_var);
    }
  }
  names.add(config.docker_hub.user_var);
  names.add(config.docker_hub.password_var);
  names.add(config.ci.api_token_var);
  if (config.spack.public_key_var) names.add(config.spack.public_key_var);
  if (config.spack.private_key_var) names.add(config.spack.private_key_var);
  return [...names].sort();
}

/** The bucket name to use in this context: `prod_name` on the default branch when set. */
export function bucketName(bucket: BucketConfig, isProd: boolean): string {
  return isProd && bucket.prod_name ? bucket.prod_name : bucket.name;
}
