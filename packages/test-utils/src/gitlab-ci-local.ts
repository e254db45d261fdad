import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { REPO_ROOT } from "./run-bin.js";

/** The gitlab-ci-local binary (root devDependency, pinned to 4.73.0: later versions need Node 22). */
export const GITLAB_CI_LOCAL_BIN = resolve(REPO_ROOT, "node_modules/.bin/gitlab-ci-local");

/** A job as `gitlab-ci-local --list-json` reports it. */
export type GitlabCiLocalJob = {
  name: string;
  description: string;
  stage: string;
  when: string;
  allow_failure: boolean;
  /** Needs inside the same pipeline (cross-pipeline needs are dropped by gitlab-ci-local). */
  needs?: Array<{ job: string; artifacts: boolean; optional: boolean }>;
};

/** Result of checking one pipeline file. */
export type GitlabCiLocalResult = {
  /** The file checked, relative to the temp repository. */
  file: string;
  /** True when gitlab-ci-local exited 0 (schema valid, every `needs` resolvable). */
  ok: boolean;
  /** Its stdout (`--list-json` JSON, or the `--preview` YAML). */
  stdout: string;
  /** Its stderr, where schema problems are listed ("Invalid .gitlab-ci.yml configuration!"). */
  stderr: string;
  /** Jobs listed (mode `list` only; empty when not ok). */
  jobs: GitlabCiLocalJob[];
};

export interface ValidateGitlabCiOptions {
  /** Files to put into the temp repository: relative path → content. */
  files?: Record<string, string>;
  /** A directory copied (recursively) into the temp repository before `files` are written. */
  dir?: string;
  /**
   * Pipeline files to check, relative to the repository. Default: every `.yml`/`.yaml` in
   * `files` (when `dir` is given, name the entries). Each file is checked on its own, so a
   * child pipeline that a parent includes with `trigger.include: artifact` is checked too.
   */
  entries?: string[];
  /** `list` runs `--list-json` (schema + needs + job list); `preview` runs `--preview`. Default `list`. */
  mode?: "list" | "preview";
  /** Predefined/project variables passed with `--variable` (predefined ones without a warning). */
  variables?: Record<string, string>;
  /** Runs in parallel (default 2: the machine is shared). */
  concurrency?: number;
  /** Kill one run after this many ms (default 60 s). */
  timeoutMs?: number;
}

function run(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(args[0]!, args.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

async function git(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await run(["git", ...args], cwd, env, 30_000);
  if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
}

/**
 * Checks GitLab CI YAML with gitlab-ci-local 4.73.0, the way GitLab would accept it: its
 * bundled GitLab JSON schema (on by default; unknown keywords, bad `retry.when`, …) and, in
 * `list` mode, that every `needs` names a job of the same file. The files go into a fresh temp
 * git repository with one commit (gitlab-ci-local needs one, and rsync); every entry is then
 * checked by its own gitlab-ci-local run, `concurrency` at a time. About 1 s per file.
 */
export async function validateGitlabCi(options: ValidateGitlabCiOptions): Promise<GitlabCiLocalResult[]> {
  const files = options.files ?? {};
  const entries =
    options.entries ?? Object.keys(files).filter((path) => /\.ya?ml$/.test(path) && !path.startsWith("."));
  if (entries.length === 0) throw new Error("validateGitlabCi: no pipeline file to check");
  const root = await mkdtemp(join(tmpdir(), "spacktainers-glcl-"));
  try {
    if (options.dir) await cp(options.dir, root, { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    const home = join(root, ".glcl-home");
    await mkdir(home, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      GIT_AUTHOR_NAME: "test",
      GIT_AUTHOR_EMAIL: "test@example.org",
      GIT_COMMITTER_NAME: "test",
      GIT_COMMITTER_EMAIL: "test@example.org",
      GIT_CONFIG_NOSYSTEM: "1",
    };
    await git(["init", "-q", "-b", "main"], root, env);
    await git(["remote", "add", "origin", "https://gitlab.example.org/group/project.git"], root, env);
    await git(["add", "-A"], root, env);
    await git(["commit", "-q", "--no-gpg-sign", "-m", "pipeline under test"], root, env);
    // What gitlab-ci-local asks git for; without them it prints "fallback" warnings on stderr.
    await git(["config", "user.name", "test"], root, env);
    await git(["config", "user.email", "test@example.org"], root, env);
    await git(["update-ref", "refs/remotes/origin/main", "HEAD"], root, env);
    await git(["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"], root, env);

    const names = Object.keys(options.variables ?? {});
    const variables = [
      ...Object.entries(options.variables ?? {}).flatMap(([name, value]) => [
        "--variable",
        `${name}=${value}`,
      ]),
      // Setting a predefined variable (CI_PIPELINE_SOURCE, to list a merge-request pipeline) is
      // the point here: without this gitlab-ci-local prints a warning on stdout, before the JSON.
      ...(names.length > 0 ? ["--ignore-predefined-vars", names.join(",")] : []),
    ];
    const results: GitlabCiLocalResult[] = new Array(entries.length);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const index = next++;
        const file = entries[index]!;
        const args = [
          GITLAB_CI_LOCAL_BIN,
          "--file",
          file,
          options.mode === "preview" ? "--preview" : "--list-json",
          // Each run its own state dir: runs in parallel would overwrite expanded-gitlab-ci.yml.
          "--state-dir",
          `.gitlab-ci-local-${index}`,
          "--home",
          home,
          "--no-color",
          ...variables,
        ];
        const result = await run(args, root, env, options.timeoutMs ?? 60_000);
        const stderr = result.stderr.replace(/^\n+/, "");
        let jobs: GitlabCiLocalJob[] = [];
        const ok = result.code === 0;
        if (ok && options.mode !== "preview") jobs = JSON.parse(result.stdout) as GitlabCiLocalJob[];
        results[index] = { file, ok, stdout: result.stdout, stderr, jobs };
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, entries.length)) }, worker),
    );
    return results;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Checks one pipeline text; see {@link validateGitlabCi}. */
export async function validateGitlabCiYaml(
  text: string,
  options: Omit<ValidateGitlabCiOptions, "files" | "entries" | "dir"> = {},
): Promise<GitlabCiLocalResult> {
  const [result] = await validateGitlabCi({
    ...options,
    files: { ".gitlab-ci.yml": text },
    entries: [".gitlab-ci.yml"],
  });
  return result!;
}

/** One line per failed result (`file: message`), for an assertion such as `expect(failures).toEqual([])`. */
export function gitlabCiFailures(results: readonly GitlabCiLocalResult[]): string[] {
  return results.filter((result) => !result.ok).map((result) => `${result.file}: ${result.stderr.trim()}`);
}
