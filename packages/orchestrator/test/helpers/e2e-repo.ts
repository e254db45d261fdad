import { execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GITLAB_CI_LOCAL_BIN, REPO_ROOT, runBin } from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect } from "vitest";

const run = promisify(execFile);

/** packages/orchestrator/__fixtures__ */
export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../__fixtures__");

/** The branch of the temp repositories (not the default branch: tags get `__feature-e2e`). */
export const E2E_BRANCH = "feature/e2e";

/**
 * What each concretize job of the fixture repository would have produced: the real Spack 1.0.2
 * lock whose roots match the definition's specs, and a real `spack ci generate` output.
 */
export const CONCRETIZED: ReadonlyArray<{ arch: string; name: string; lock: string; pipeline: string }> = [
  {
    arch: "amd64",
    name: "fixture-app",
    lock: "locks/1.0.2-ci-generate-empty-mirror.lock",
    pipeline: "spack/1.0.2/ci-generate-empty-mirror/pipeline.yml",
  },
  {
    arch: "amd64",
    name: "zlib-tools",
    lock: "locks/1.0.2-ci-generate-empty-mirror.lock",
    pipeline: "spack/1.0.2/ci-generate-partial/pipeline.yml",
  },
  {
    arch: "arm64",
    name: "compress",
    lock: "locks/1.0.2-env-aarch64-neoverse_v1.lock",
    pipeline: "spack/1.0.2/ci-generate-all-built/pipeline.yml",
  },
];

/** Environment of git commands: no user config, fixed identity. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "test",
  GIT_AUTHOR_EMAIL: "test@example.org",
  GIT_COMMITTER_NAME: "test",
  GIT_COMMITTER_EMAIL: "test@example.org",
};

export async function git(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd: root, env: GIT_ENV });
  return stdout;
}

/**
 * A temp repository: the fixture definitions (`__fixtures__/repo`: amd64 file form, folder form
 * with epilogue and a copied file, a `.def`; arm64 file form), the repository's real `images/`,
 * and `extra` files; committed on {@link E2E_BRANCH}. The caller removes it.
 */
export async function createFixtureRepo(
  extra: Record<string, string> = {},
): Promise<{ root: string; remove(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "spacktainers-e2e-"));
  await cp(join(FIXTURES, "repo"), root, { recursive: true });
  await cp(join(REPO_ROOT, "images"), join(root, "images"), { recursive: true });
  for (const [path, content] of Object.entries(extra)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await git(root, "init", "-q", "-b", E2E_BRANCH);
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "--no-gpg-sign", "-m", "fixture repository");
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/**
 * Does what the `concretize <c> for <arch>` jobs do, with real Spack outputs: `spack.lock` next
 * to the generated `spack.yaml`, and Spack's pipeline plus its `concrete_environment/` under
 * `jobs_scratch_dir.<arch>/<c>/`.
 */
export async function simulateConcretize(root: string, out = "out"): Promise<void> {
  for (const { arch, name, lock, pipeline } of CONCRETIZED) {
    const environment = join(root, out, "environments", arch, name);
    const scratch = join(root, out, `jobs_scratch_dir.${arch}`, name);
    await mkdir(join(scratch, "concrete_environment"), { recursive: true });
    await cp(join(FIXTURES, lock), join(environment, "spack.lock"));
    await cp(join(environment, "spack.yaml"), join(scratch, "concrete_environment/spack.yaml"));
    await cp(join(FIXTURES, lock), join(scratch, "concrete_environment/spack.lock"));
    await cp(join(FIXTURES, pipeline), join(scratch, "pipeline.yml"));
  }
}

/**
 * The fixture repository as pipeline A's split job finds it, for the tests of one file: the bin's
 * `spacktainers generate`, then {@link simulateConcretize}. Registers the file's `beforeAll`
 * (which fills `root`) and `afterAll` (which removes the repository).
 */
export function useConcretizedFixtureRepo(): { root: string } {
  const repo = { root: "" };
  let remove: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ root: repo.root, remove } = await createFixtureRepo());
    const generated = await runBin(
      "orchestrator",
      ["generate", "--root", repo.root, "--now", "2026-01-31T12:00:00Z"],
      { cleanEnv: true },
    );
    expect(generated.code, generated.stderr).toBe(0);
    await simulateConcretize(repo.root);
  }, 60_000);
  afterAll(async () => {
    await remove?.();
  });
  return repo;
}

/** Every file under `dir` (relative path → content), `.git` and `exclude` prefixes left out. */
export async function readTree(dir: string, exclude: string[] = []): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const path = relative(dir, full);
      if (path === ".git" || exclude.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)))
        continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) tree[path] = await readFile(full, "utf8");
    }
  };
  await walk(dir);
  return Object.fromEntries(Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** tsx's loader (a file URL), so pipeline jobs can run our bins from their TypeScript sources. */
export const TSX_LOADER = import.meta.resolve("tsx");

/** Shell words that run a workspace package's bin from source, as a CI job line would. */
export function binCommand(pkg: string): string {
  return `node --conditions=spacktainers-source --import ${TSX_LOADER} ${join(REPO_ROOT, "packages", pkg, "src/bin.ts")}`;
}

/**
 * The folder name gitlab-ci-local 4.73.0 stores a job's artifacts under
 * (`.gitlab-ci-local/artifacts/<safe name>`; `Utils.safeDockerString`: every run of characters
 * outside `[\w-]` replaced by its unpadded base64url).
 */
export function gitlabCiLocalSafeName(job: string): string {
  return job.replace(/[^\w-]+/g, (run) => Buffer.from(run).toString("base64url"));
}

/**
 * Works around a gitlab-ci-local 4.73.0 bug: `trigger: include: - artifact: …, job: <name>`
 * reads `.gitlab-ci-local/artifacts/<name>/…` with the raw job name while artifacts are stored
 * under the safe name, so a producer named with spaces (all of ours) yields an EMPTY child
 * pipeline that "passes". A symlink from the raw name to the safe name makes it read the real file.
 */
export async function aliasGitlabCiLocalArtifacts(
  root: string,
  jobs: string[],
  stateDir = ".gitlab-ci-local",
) {
  const artifacts = join(root, stateDir, "artifacts");
  await mkdir(artifacts, { recursive: true });
  for (const job of jobs) await symlink(gitlabCiLocalSafeName(job), join(artifacts, job));
}

/**
 * Runs gitlab-ci-local 4.73.0 in `root` with the shell executor (every job, images and all, in
 * the shell), `home` as its home, `bin` first on PATH (stand-ins), and `args`; stdout and stderr
 * together. Killed after `timeoutMs`.
 */
export function runGitlabCiLocal({
  root,
  home,
  bin,
  args,
  timeoutMs = 240_000,
}: {
  root: string;
  home: string;
  bin: string;
  args: string[];
  timeoutMs?: number;
}): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      GITLAB_CI_LOCAL_BIN,
      ["--home", home, "--no-color", "--force-shell-executor", ...args],
      {
        cwd: root,
        env: { ...GIT_ENV, HOME: home, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, output });
    });
  });
}
