import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

/**
 * The builder image's own scripts (images/builder/*.sh), run with the real git against local
 * repositories: the Dockerfile runs exactly these.
 */

const run = promisify(execFile);
const SCRIPTS = join(REPO_ROOT, "images/builder");
const HOST = "gitlab.example.org";
const TOKEN = "glcbt-64_secret-job-token";
let work: string;
let env: NodeJS.ProcessEnv;

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run("git", args, { cwd, env })).stdout.trim();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "spacktainers-builder-scripts-"));
  await mkdir(join(work, "bin"));
  // A stand-in `spack` that records its arguments (the real one needs the whole image).
  await writeFile(join(work, "bin/spack"), `#!/bin/sh\necho "$*" >> '${join(work, "spack-calls")}'\n`);
  await chmod(join(work, "bin/spack"), 0o755);
  env = {
    PATH: `${join(work, "bin")}:${process.env.PATH}`,
    HOME: work,
    GIT_CONFIG_SYSTEM: join(work, "gitconfig-system"),
    GIT_CONFIG_GLOBAL: join(work, "gitconfig-global"),
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "test",
    GIT_AUTHOR_EMAIL: "test@example.org",
    GIT_COMMITTER_NAME: "test",
    GIT_COMMITTER_EMAIL: "test@example.org",
  };
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("configure-git.sh", () => {
  test("fetches this GitLab's SSH-form URLs over HTTPS with the running job's token, storing none", async () => {
    const { stdout } = await run(join(SCRIPTS, "configure-git.sh"), [HOST], { env });
    expect(stdout).not.toContain(TOKEN);
    const resolved = async (url: string) => git(work, "ls-remote", "--get-url", url);
    expect(
      await Promise.all(
        [
          `git@${HOST}:hpc/models.git`,
          `ssh://git@${HOST}/hpc/models.git`,
          "git@github.com:spack/spack.git",
        ].map(resolved),
      ),
    ).toEqual([
      `https://${HOST}/hpc/models.git`,
      `https://${HOST}/hpc/models.git`,
      "git@github.com:spack/spack.git",
    ]);
    const fill = (token?: string) =>
      run("sh", ["-c", `printf 'protocol=https\\nhost=${HOST}\\n\\n' | git credential fill`], {
        env: { ...env, ...(token ? { CI_JOB_TOKEN: token } : {}) },
      });
    expect((await fill(TOKEN)).stdout).toBe(
      `protocol=https\nhost=${HOST}\nusername=gitlab-ci-token\npassword=${TOKEN}\n`,
    );
    // Without a job token git asks no one (and fails) instead of using a stored one.
    await expect(fill()).rejects.toMatchObject({ code: 128 });
    expect(await readFile(join(work, "gitconfig-system"), "utf8")).not.toContain(TOKEN);
    // A second run leaves the same settings (no insteadOf twice).
    const settings = async () => (await git(work, "config", "--system", "--list")).split("\n").sort();
    const first = await settings();
    await run(join(SCRIPTS, "configure-git.sh"), [HOST], { env });
    expect(await settings()).toEqual(first);
    expect(first.filter((line) => line.includes("insteadof"))).toHaveLength(2);
  });
});

describe("add-spack-repos.sh", () => {
  test("clones each repository at its branch or commit and adds them in order", async () => {
    const origin = async (name: string) => {
      const dir = join(work, name);
      await mkdir(join(dir, "repo"), { recursive: true });
      await git(work, "init", "-q", "-b", "main", dir);
      // GitLab and GitHub serve a commit by hash; a plain repository needs to be told.
      await git(dir, "config", "uploadpack.allowReachableSHA1InWant", "true");
      await writeFile(join(dir, "repo/repo.yaml"), `repo:\n  namespace: ${name}\n`);
      await git(dir, "add", "-A");
      await git(dir, "commit", "-q", "-m", "first");
      const first = await git(dir, "rev-parse", "HEAD");
      await writeFile(join(dir, "repo/repo.yaml"), `repo:\n  namespace: ${name}-2\n`);
      await git(dir, "commit", "-qam", "second");
      return { url: `file://${dir}`, first, second: await git(dir, "rev-parse", "HEAD") };
    };
    const site = await origin("site-packages");
    const models = await origin("models");
    const clones = join(work, "clones");
    const { stdout } = await run(
      join(SCRIPTS, "add-spack-repos.sh"),
      [`${site.url}|main|. ${models.url}|${models.first}|repo`, clones],
      { env },
    );
    expect(stdout.trim().split("\n")).toEqual([
      `add-spack-repos.sh: ${site.url} at main (${site.second}) added from ${clones}/1/.`,
      `add-spack-repos.sh: ${models.url} at ${models.first} (${models.first}) added from ${clones}/2/repo`,
    ]);
    expect((await readFile(join(work, "spack-calls"), "utf8")).trim().split("\n")).toEqual([
      `repo add --scope site ${clones}/1/.`,
      `repo add --scope site ${clones}/2/repo`,
    ]);
    expect(await readFile(join(clones, "2/repo/repo.yaml"), "utf8")).toBe("repo:\n  namespace: models\n");
  });

  test("a missing ref fails the build", async () => {
    await expect(
      run(
        join(SCRIPTS, "add-spack-repos.sh"),
        [`file://${join(work, "models")}|no-such-branch|.`, join(work, "x")],
        {
          env,
        },
      ),
    ).rejects.toMatchObject({ code: 128 });
  });
});
