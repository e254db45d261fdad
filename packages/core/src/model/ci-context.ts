/**
 * The CI facts a pipeline depends on. Everything time- or branch-dependent is an input here, so
 * the same context gives byte-identical output.
 */
export type CiContext = {
  /** Branch or tag name (`CI_COMMIT_REF_NAME`). */
  refName: string;
  /** Branch name made safe for URLs and tags (`CI_COMMIT_REF_SLUG`). */
  refSlug: string;
  /** The project's default branch (`CI_DEFAULT_BRANCH`). */
  defaultBranch: string;
  /** True when `refName` is the default branch: images get plain version tags. */
  isProd: boolean;
  /**
   * True when the ref is protected (`CI_COMMIT_REF_PROTECTED` is `"true"`). GitLab hands
   * protected variables (the private signing key) to protected refs only, so only their build
   * jobs sign; other refs push unsigned and never name the private key.
   */
  isProtected: boolean;
  /** Commit SHA (`CI_COMMIT_SHA`), when known. */
  commitSha?: string;
  /** Pipeline id (`CI_PIPELINE_ID`), when running in CI. */
  pipelineId?: string;
  /** Project id (`CI_PROJECT_ID`). */
  projectId?: string;
  /** GitLab API base URL (`CI_API_V4_URL`). */
  apiUrl?: string;
  /** Registry image prefix (`CI_REGISTRY_IMAGE`). */
  registryImage?: string;
  /** Project web URL (`CI_PROJECT_URL`), used for OCI source labels. */
  projectUrl?: string;
  /** The instant the run is about; never read from the clock inside libraries. */
  now: Date;
  /** True when no CI variables were found (a developer's machine): remote checks are skipped. */
  offline: boolean;
};

/**
 * GitLab's `CI_COMMIT_REF_SLUG` rule: lowercase, every character outside `0-9a-z` replaced by
 * `-`, at most 63 bytes, no leading or trailing `-`.
 */
export function slugifyRef(refName: string): string {
  return refName
    .toLowerCase()
    .replace(/[^0-9a-z]/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
}

export interface ReadCiContextOptions {
  /** The environment to read `CI_*` variables from (pass `process.env` in a bin). */
  env: Record<string, string | undefined>;
  /** The clock value to use; a bin passes `new Date()` or a `--now` flag. */
  now: Date;
  /** Branch to assume when `CI_COMMIT_REF_NAME` is unset (for example from `git branch`). */
  fallbackRefName?: string;
  /** Explicit values, winning over the environment. */
  overrides?: Partial<Omit<CiContext, "now" | "isProd" | "offline">>;
}

/** Builds the CI context from `CI_*` variables, explicit overrides and offline defaults. */
export function readCiContext({
  env,
  now,
  fallbackRefName,
  overrides = {},
}: ReadCiContextOptions): CiContext {
  const pick = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
  const offline = pick(env.CI) === undefined && pick(env.GITLAB_CI) === undefined;
  const refName = overrides.refName ?? pick(env.CI_COMMIT_REF_NAME) ?? fallbackRefName ?? "local";
  const defaultBranch = overrides.defaultBranch ?? pick(env.CI_DEFAULT_BRANCH) ?? "main";
  const context: CiContext = {
    refName,
    refSlug: overrides.refSlug ?? pick(env.CI_COMMIT_REF_SLUG) ?? slugifyRef(refName),
    defaultBranch,
    // Compare names with names: the reference compared the slug with the branch name, so a
    // default branch like `Main` or `release/1` was never seen as prod.
    isProd: refName === defaultBranch,
    isProtected: overrides.isProtected ?? pick(env.CI_COMMIT_REF_PROTECTED) === "true",
    now,
    offline,
  };
  const optional = {
    commitSha: overrides.commitSha ?? pick(env.CI_COMMIT_SHA),
    pipelineId: overrides.pipelineId ?? pick(env.CI_PIPELINE_ID),
    projectId: overrides.projectId ?? pick(env.CI_PROJECT_ID),
    apiUrl: overrides.apiUrl ?? pick(env.CI_API_V4_URL),
    registryImage: overrides.registryImage ?? pick(env.CI_REGISTRY_IMAGE),
    projectUrl: overrides.projectUrl ?? pick(env.CI_PROJECT_URL),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (context as Record<string, unknown>)[key] = value;
  }
  return context;
}
