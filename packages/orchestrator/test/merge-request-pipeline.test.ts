import { readFile } from "node:fs/promises";
import { REPO_ROOT, validateGitlabCi } from "@spacktainers/test-utils";
import { expect, test } from "vitest";

/**
 * The repository's committed .gitlab-ci.yml, as gitlab-ci-local 4.73.0 evaluates its rules for a
 * merge-request pipeline and for branch pipelines (a feature branch, the default branch).
 */
async function jobsFor(variables: Record<string, string>): Promise<string[]> {
  const text = await readFile(`${REPO_ROOT}/.gitlab-ci.yml`, "utf8");
  const [result] = await validateGitlabCi({
    // Definitions for one arch only: the other arch's jobs are skipped by their rules: exists.
    files: { ".gitlab-ci.yml": text, "container_definitions/amd64/app.yaml": "spack:\n  specs: [zlib]\n" },
    entries: [".gitlab-ci.yml"],
    variables,
  });
  expect(result!.stderr).not.toContain("Invalid");
  return result!.jobs
    .filter((job) => job.when !== "never")
    .map((job) => `${job.stage}: ${job.name} (${job.when})`);
}

test("a merge-request pipeline checks and plans; it never builds, pushes, prunes or releases", async () => {
  expect(await jobsFor({ CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "3" })).toEqual([
    "check: lint, typecheck and test the tool (on_success)",
    "check: validate and plan (on_success)",
  ]);
});

test("branch pipelines build; the default branch also prunes and offers the release", async () => {
  expect(
    await jobsFor({ CI_PIPELINE_SOURCE: "push", CI_COMMIT_BRANCH: "feature", CI_COMMIT_REF_NAME: "feature" }),
  ).toEqual([
    "generate: generate (on_success)",
    "concretize: concretize and plan (on_success)",
    "gather: gather (on_success)",
    "populate: populate build cache for amd64 (on_success)",
    "build: build containers for amd64 (on_success)",
  ]);
  expect(await jobsFor({ CI_PIPELINE_SOURCE: "push" })).toEqual([
    "generate: generate (on_success)",
    "concretize: concretize and plan (on_success)",
    "gather: gather (on_success)",
    "populate: populate build cache for amd64 (on_success)",
    "build: build containers for amd64 (on_success)",
    "prune: prune build cache for amd64 (on_success)",
    "prune: remove SIFs of deleted branches (on_success)",
    "release: release npm packages (manual)",
  ]);
});
