import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli, sha256Hex } from "@spacktainers/core";
import { REPO_ROOT, runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, test } from "vitest";
import { cli } from "../src/cli.js";
import { PLAN_ZIP, pipelineState, SPLIT_ZIP, TOKEN, useDouble } from "./double-fixture.js";

/**
 * A temp working dir for the spawned bin. runBin's `--import tsx` resolves from the cwd, so the
 * dir links the repository's node_modules.
 */
function useBinDir(tree: Record<string, string> = {}): Promise<string> {
  return useTempDir({ ...tree, node_modules: { symlink: join(REPO_ROOT, "node_modules") } });
}

/** Runs the CLI in-process with a clean environment. */
async function run(args: string[], env: Record<string, string>, cwd: string) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(cli, args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

describe("spacktainers-gather", () => {
  test("bin: gathers, extracts, writes a dotenv report and prints JSON; the token stays hidden", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "split spack pipeline for amd64", archive: SPLIT_ZIP, redirect: "other-server" },
        { id: 52, name: "plan containers for amd64", archive: PLAN_ZIP },
      ]),
    );
    const cwd = await useBinDir({ "secret/token": `${TOKEN}\n` });
    const result = await runBin(
      "artifact-gatherer",
      [
        "--bridge",
        "generate",
        "--job",
        "split spack pipeline for amd64=.",
        "--job",
        "plan containers for amd64=out",
        "--extract",
        "--token-file",
        "secret/token",
        "--dotenv",
        "gather.env",
        "--variable",
        "GATHERED=yes",
        "--json",
      ],
      {
        cwd,
        cleanEnv: true,
        env: { CI_API_V4_URL: double.url, CI_PROJECT_ID: "42", CI_PIPELINE_ID: "1000" },
      },
    );
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.code).toBe(0);
    const file = (path: string, text: string) => ({ path, bytes: text.length, sha256: sha256Hex(text) });
    expect(JSON.parse(result.stdout)).toEqual({
      pipelineId: "1000",
      bridge: { id: 11, name: "generate", status: "success" },
      downstreamPipelineId: 2000,
      jobs: [
        {
          name: "split spack pipeline for amd64",
          id: 51,
          attempts: 1,
          directory: ".",
          archive: { bytes: SPLIT_ZIP.length, sha256: sha256Hex(SPLIT_ZIP) },
          files: [
            file("split/amd64/pipeline-1.yml", "stages: [build]\n"),
            file("split/amd64/pipeline-2.yml", "stages: [build]\nx: 1\n"),
          ],
        },
        {
          name: "plan containers for amd64",
          id: 52,
          attempts: 1,
          directory: "out",
          archive: { bytes: PLAN_ZIP.length, sha256: sha256Hex(PLAN_ZIP) },
          files: [file("out/plan/amd64.yml", "jobs: {}\n")],
        },
      ],
      dotenv: { path: "gather.env", variables: 1, bytes: 13 },
    });
    expect(await readFile(join(cwd, "gather.env"), "utf8")).toBe("GATHERED=yes\n");
    expect(result.stderr.split("\n").filter(Boolean).sort()).toEqual([
      `downloaded "plan containers for amd64": ${PLAN_ZIP.length} bytes`,
      `downloaded "split spack pipeline for amd64": ${SPLIT_ZIP.length} bytes`,
      'downstream pipeline 2000: "split spack pipeline for amd64" (51), "plan containers for amd64" (52)',
      'extracted "plan containers for amd64": 1 files, 9 bytes',
      'extracted "split spack pipeline for amd64": 2 files, 37 bytes',
      'gathering from bridge "generate" of pipeline 1000 (token from file secret/token)',
    ]);
  });

  test("bin: a job token is refused with an explanation, exit 1", async () => {
    const double = await useDouble(pipelineState([]));
    const cwd = await useBinDir();
    const jobToken = "glcbt-64_job-token-value-123456";
    const result = await runBin("artifact-gatherer", ["--bridge", "generate", "--job", "x=."], {
      cwd,
      cleanEnv: true,
      env: {
        CI_API_V4_URL: double.url,
        CI_PROJECT_ID: "42",
        CI_PIPELINE_ID: "1000",
        GITLAB_API_TOKEN: jobToken,
      },
    });
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: [
        'gathering from bridge "generate" of pipeline 1000 (token from $GITLAB_API_TOKEN)',
        "spacktainers-gather: error: GitLab answered 401 to GET /api/v4/projects/42/pipelines/1000/bridges?per_page=100&page=1: the token was refused or lacks access.",
        "A CI_JOB_TOKEN cannot list a pipeline's bridges or jobs; use a project or personal access",
        "token with the read_api scope (api to post merge-request notes), stored in a masked CI/CD",
        "variable (default GITLAB_API_TOKEN).",
        "",
      ].join("\n"),
    });
  });

  test("bad arguments are all reported at once, exit 2, before any request", async () => {
    const double = await useDouble(pipelineState([]));
    const cwd = await useTempDir();
    const result = await run(
      ["--variable", "A=1", "--variable", "NOEQUALS", "--concurrency", "0", "--max-extract-size", "lots"],
      { CI_PROJECT_ID: "42" },
      cwd,
    );
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: `${[
        "spacktainers-gather: error: --api-url (or CI_API_V4_URL) is required",
        "--pipeline (or CI_PIPELINE_ID) is required",
        "--bridge is required",
        '--job is required: one --job "NAME=DIR" per job to gather',
        '--max-extract-size: cannot read "lots" (e.g. 512MiB, 4GiB)',
        '--variable: takes KEY=VALUE, got "NOEQUALS"',
        '--concurrency: takes a whole number ≥ 1, got "0"',
        "--variable needs --dotenv",
      ].join("; ")}\n`,
    });
    expect(double.requests).toEqual([]);
  });

  test("no token: exit 2 with what to do", async () => {
    const cwd = await useTempDir();
    const env = { CI_API_V4_URL: "http://127.0.0.1:9/api/v4", CI_PROJECT_ID: "42", CI_PIPELINE_ID: "1" };
    expect(await run(["--bridge", "b", "--job", "j"], env, cwd)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "spacktainers-gather: error: no GitLab API token: $GITLAB_API_TOKEN is not set. Create a project or personal access token with the read_api scope and store it in a masked CI/CD variable; a CI_JOB_TOKEN cannot list a pipeline's bridges or jobs.\n",
    });
    expect(
      (await run(["--bridge", "b", "--job", "j", "--token-variable", "CI_JOB_TOKEN"], env, cwd)).stderr,
    ).toMatch(/^spacktainers-gather: error: CI_JOB_TOKEN cannot be used here\./);
  });

  test("an unknown job: exit 2 listing the jobs; a token from another variable is masked", async () => {
    const double = await useDouble({
      ...pipelineState([{ id: 1, name: "plan", archive: PLAN_ZIP }]),
      tokens: ["my-custom-secret-value"],
    });
    const cwd = await useTempDir();
    const env = {
      CI_API_V4_URL: double.url,
      CI_PROJECT_ID: "42",
      CI_PIPELINE_ID: "1000",
      MY_GITLAB: "my-custom-secret-value",
    };
    const result = await run(
      ["--bridge", "generate", "--job", "plam=x", "--token-variable", "MY_GITLAB"],
      env,
      cwd,
    );
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: [
        'gathering from bridge "generate" of pipeline 1000 (token from $MY_GITLAB)',
        'spacktainers-gather: error: downstream pipeline 2000 of bridge "generate" has no job named "plam". Jobs: "plan".',
        "",
      ].join("\n"),
    });
  });
});
