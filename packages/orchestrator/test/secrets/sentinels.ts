import { randomBytes } from "node:crypto";
import { cp, lstat, mkdir, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type BinResult, createTempDir, runBin } from "@spacktainers/test-utils";

/** The fixtures of the secrets test (this folder). */
export const SECRETS_FIXTURES = fileURLToPath(new URL(".", import.meta.url));

/**
 * Every variable that holds a credential somewhere in spacktainers: the ones the test site config
 * names (`repo/container_definitions/spacktainers.yaml`), the defaults of the bins' flags, and
 * what GitLab itself puts in a job's environment.
 */
export const CREDENTIAL_VARIABLES = [
  // Site config, amd64: names the masker recognises by their shape.
  "CACHE_AWS_ACCESS_KEY_ID",
  "CACHE_AWS_SECRET_ACCESS_KEY",
  "SIF_AWS_ACCESS_KEY_ID",
  "SIF_AWS_SECRET_ACCESS_KEY",
  // Site config, arm64: names only the config says are credentials.
  "ARM_CACHE_KEY_ID",
  "ARM_CACHE_KEY_VALUE",
  "ARM_SIF_KEY_ID",
  "ARM_SIF_KEY_VALUE",
  // Site config: registry, Docker Hub (non-default names), API token, Spack signing keys.
  "CI_REGISTRY_USER",
  "CI_REGISTRY_PASSWORD",
  "HUB_LOGIN",
  "HUB_PASSPHRASE",
  "READ_API_CREDENTIAL_VALUE",
  "SPACK_DEPLOYMENT_KEY_PUBLIC",
  "SPACK_DEPLOYMENT_KEY_PRIVATE",
  // Defaults of the bins and of the sample config.
  "DOCKERHUB_USER",
  "DOCKERHUB_PASSWORD",
  "GITLAB_API_TOKEN",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  // GitLab's own job credentials.
  "CI_JOB_TOKEN",
  "CI_DEPLOY_PASSWORD",
  "CI_DEPENDENCY_PROXY_PASSWORD",
] as const;

export type CredentialVariable = (typeof CREDENTIAL_VARIABLES)[number];

/** A credential value, and the unique random part that betrays it in any encoding. */
export type Sentinel = { variable: string; value: string; marker: string };

/**
 * One sentinel per credential variable: `SENTINEL-<VAR>-<20 random hex>`. The random hex part
 * survives JSON, YAML and URL escaping, so finding it anywhere means the value (or a piece of
 * it) got out. `CI_REGISTRY_PASSWORD` carries the characters real passwords have and escapers
 * change (`"`, `\`, `%`, `/`, `+`, `=`, `:`, `@`, a space).
 */
export function makeSentinels(): Record<CredentialVariable, Sentinel> & Record<string, Sentinel> {
  const sentinels: Record<string, Sentinel> = {};
  for (const variable of CREDENTIAL_VARIABLES) sentinels[variable] = sentinel(variable);
  const registryPassword = sentinels.CI_REGISTRY_PASSWORD!;
  registryPassword.value = `SENTINEL-"p\\a%s s/w+o=r:d@-${registryPassword.marker}`;
  return sentinels as Record<CredentialVariable, Sentinel> & Record<string, Sentinel>;
}

/** A sentinel for a variable (or a file) that is not in the standard list. */
export function sentinel(variable: string): Sentinel {
  const marker = randomBytes(10).toString("hex");
  return { variable, value: `SENTINEL-${variable}-${marker}`, marker };
}

/** The environment holding every sentinel. */
export function sentinelEnv(sentinels: Record<string, Sentinel>): Record<string, string> {
  return Object.fromEntries(Object.values(sentinels).map((s) => [s.variable, s.value]));
}

/** A needle to look for, and what finding it means. */
type Needle = { needle: string; what: string };

function needlesOf(sentinels: Record<string, Sentinel>): Needle[] {
  const needles: Needle[] = [];
  for (const s of Object.values(sentinels)) {
    needles.push({ needle: s.marker, what: `value of ${s.variable}` });
    needles.push({ needle: Buffer.from(s.value).toString("base64"), what: `base64 of ${s.variable}` });
  }
  // HTTP basic auth of every user/password pair.
  const pairs = [
    ["CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD"],
    ["HUB_LOGIN", "HUB_PASSPHRASE"],
    ["DOCKERHUB_USER", "DOCKERHUB_PASSWORD"],
    ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  ];
  for (const [user, password] of pairs) {
    const u = sentinels[user!];
    const p = sentinels[password!];
    if (u && p)
      needles.push({
        needle: Buffer.from(`${u.value}:${p.value}`).toString("base64"),
        what: `basic auth of ${user}:${password}`,
      });
  }
  return needles;
}

/** Every leak of a sentinel in the given texts: `<where>: <what>`. */
export function findLeaks(
  sentinels: Record<string, Sentinel>,
  texts: Array<{ where: string; text: string }>,
): string[] {
  const needles = needlesOf(sentinels);
  const leaks: string[] = [];
  for (const { where, text } of texts)
    for (const { needle, what } of needles) if (text.includes(needle)) leaks.push(`${where}: ${what}`);
  return leaks;
}

/** Every file under `dir` (symlinks not followed), with its path relative to `dir`. */
export async function listAllFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.push(relative(dir, path));
    }
  };
  await walk(dir);
  return files.sort();
}

/** The texts of a workspace: every file's path and bytes (latin1, so any byte sequence matches). */
export async function workspaceTexts(dir: string): Promise<Array<{ where: string; text: string }>> {
  const texts: Array<{ where: string; text: string }> = [];
  for (const file of await listAllFiles(dir)) {
    const path = join(dir, file);
    const info = await lstat(path);
    texts.push({ where: `file name ${file}`, text: file });
    if (info.isFile()) texts.push({ where: `file ${file}`, text: await readFile(path, "latin1") });
    else if (info.isSymbolicLink()) texts.push({ where: `symlink ${file}`, text: await readlink(path) });
  }
  return texts;
}

/** A repository copy for one test, with its own HOME and TMPDIR so every write lands inside it. */
export type Workspace = {
  /** The workspace folder (walked after every run). */
  dir: string;
  /** The repository root (a copy of `repo/` with the service addresses filled in). */
  root: string;
  /** HOME and TMPDIR of the runs. */
  home: string;
  tmp: string;
  /** Test inputs that hold a secret on purpose (a token file): beside the workspace, not scanned. */
  inputs: string;
  remove(): Promise<void>;
};

/** Copies `repo/` and fills in `@S3_ENDPOINT@` and `@REGISTRY_HOST@`. */
export async function createWorkspace(services: {
  s3Endpoint: string;
  registryHost: string;
}): Promise<Workspace> {
  const temp = await createTempDir({}, "spacktainers-secrets-");
  const root = join(temp.path, "repo");
  await cp(join(SECRETS_FIXTURES, "repo"), root, { recursive: true });
  for (const file of ["container_definitions/spacktainers.yaml", "container_definitions/amd64/tools.def"]) {
    const path = join(root, file);
    const text = await readFile(path, "utf8");
    await writeFile(
      path,
      text
        .replaceAll("@S3_ENDPOINT@", services.s3Endpoint)
        .replaceAll("@REGISTRY_HOST@", services.registryHost),
    );
  }
  const inputs = `${temp.path}-inputs`;
  await mkdir(inputs);
  const home = join(temp.path, "home");
  const tmp = join(temp.path, "tmp");
  await mkdir(home);
  await mkdir(tmp);
  return {
    dir: temp.path,
    root,
    home,
    tmp,
    inputs,
    remove: async () => {
      await temp.remove();
      await rm(inputs, { recursive: true, force: true });
    },
  };
}

/** A bin run and the leaks found in its stdout, stderr and every file of the workspace. */
export type CheckedRun = BinResult & { leaks: string[] };

/**
 * Runs a bin with a clean environment holding `env` (sentinels included), HOME and TMPDIR inside
 * the workspace, then looks for every sentinel in stdout, stderr and every file under the
 * workspace (names and bytes).
 */
export async function runAndScan(
  sentinels: Record<string, Sentinel>,
  workspace: Workspace,
  pkg: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string },
): Promise<CheckedRun> {
  const result = await runBin(pkg, args, {
    cwd: options.cwd ?? workspace.root,
    cleanEnv: true,
    env: { ...options.env, HOME: workspace.home, TMPDIR: workspace.tmp },
    timeoutMs: 90_000,
  });
  const texts = [
    { where: "stdout", text: result.stdout },
    { where: "stderr", text: result.stderr },
    ...(await workspaceTexts(workspace.dir)),
  ];
  return { ...result, leaks: findLeaks(sentinels, texts) };
}
