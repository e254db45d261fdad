import { type ArchitectureConfig, archRunners, type Runners } from "@spacktainers/core";

/** Default images our jobs run in; the site can pin others. */
export const DEFAULT_JOB_IMAGES = {
  /** buildah (rootless-capable, no daemon). */
  buildah: "quay.io/buildah/stable:v1.37",
  /** skopeo, for copies between registries. */
  skopeo: "quay.io/skopeo/stable:v1.16",
} as const;

/** One architecture a job runs for, and its runners (tags and non-secret variables: resources, proxy). */
export type JobArch = Runners & {
  /** `amd64`, `arm64`, … */
  arch: string;
};

/** The {@link JobArch} of a configured architecture. */
export function jobArch(arch: string, config: ArchitectureConfig): JobArch {
  return { arch, ...archRunners(config) };
}

/** Registry login: NAMES of CI variables, never values. */
export type RegistryLogin = {
  /** Registry host, usually `$CI_REGISTRY`. */
  registry: string;
  /** Variable with the user (default `CI_REGISTRY_USER`). */
  userVar: string;
  /** Variable with the password (default `CI_REGISTRY_PASSWORD`). */
  passwordVar: string;
};

/** GitLab's own registry login. */
export const GITLAB_REGISTRY_LOGIN: RegistryLogin = {
  registry: "$CI_REGISTRY",
  userVar: "CI_REGISTRY_USER",
  passwordVar: "CI_REGISTRY_PASSWORD",
};

/** S3 access of a job: endpoint and NAMES of the credential variables. */
export type S3Access = {
  /** Endpoint URL of a non-AWS store. */
  endpoint?: string;
  /** Variable with the access key id. */
  accessKeyVar: string;
  /** Variable with the secret access key. */
  secretKeyVar: string;
};

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws when a "variable name" is not one (it might be a pasted value). */
export function assertVariableName(name: string, what: string): string {
  if (!VARIABLE_NAME.test(name))
    throw new Error(`${what} must be the NAME of a CI variable, got an invalid name`);
  return name;
}

/**
 * `tool login` reading the password from stdin. GitLab logs the line as written (`$VAR`
 * unexpanded, and the value masked if it ever appeared), and the value never reaches argv or a
 * file that could be `cat`-ed.
 */
export function loginLine(tool: "buildah" | "skopeo", login: RegistryLogin, tlsVerify: boolean): string {
  assertVariableName(login.userVar, "registry user variable");
  assertVariableName(login.passwordVar, "registry password variable");
  return `printf '%s' "$${login.passwordVar}" | ${tool} login --tls-verify=${tlsVerify} --username "$${login.userVar}" --password-stdin "${login.registry}"`;
}

/** A shell word, single-quoted unless it is plainly safe (`$VAR` references stay expandable in double quotes). */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (/^[^"\\`]*$/.test(value) && /\$\{?[A-Za-z_]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Upper-case identifier from a name (`neurodamus-hippocampus` → `NEURODAMUS_HIPPOCAMPUS`). */
export function variableSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}
