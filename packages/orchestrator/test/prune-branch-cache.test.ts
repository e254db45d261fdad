import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import { createS3Storage } from "@spacktainers/cache-janitor";
import { JOB_NAMES, readCiContext, renderPipelineYaml, type SiteConfig } from "@spacktainers/core";
import { listFilesRecursive } from "@spacktainers/core/node";
import {
  type GitlabApiDouble,
  gitlabCiFailures,
  type S3Server,
  startS3Server,
  useTempDir,
  validateGitlabCi,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildParentPipeline } from "../src/build-parent-pipeline.js";
import { BRANCH_LOCKS_PREFIX, pruneBranchCache } from "../src/prune-branch-cache.js";
import { type GitlabUnderTest, siteConfigFrom, startGitlab } from "./helpers/site-services.js";

/**
 * The branch build cache (cache_bucket.name beside a prod_name): each branch pipeline records
 * its locks there, records of gone branches go, and the janitor keeps what live branches use —
 * against s3rver (the fixture cache of two specs) and the GitLab API double's branch list.
 */

const FIXTURES = join(import.meta.dirname, "fixtures-prune");
const BUCKET = "branch-cache";
let s3: S3Server;
let api: GitlabUnderTest;
let double: GitlabApiDouble;
let gitlab: GitlabClient;
let config: SiteConfig;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  const storage = createS3Storage({ bucket: BUCKET, client: s3.client() });
  const root = join(FIXTURES, "cache/files");
  for (const key of await listFilesRecursive(root)) await storage.put(key, await readFile(join(root, key)));
  storage.close?.();
  api = await startGitlab({ projectId: "7", tokens: ["glpat-t"] });
  ({ double, gitlab } = api);
  double.state.tags = [];
  config = siteConfigFrom(`
architectures:
  amd64:
    runner_tags: [docker]
    spack_requirement: "%gcc@12"
    cache_bucket:
      name: ${BUCKET}
      prod_name: prod-cache
      endpoint: ${s3.endpoint}
      credentials: { access_key_var: CACHE_KEY, secret_key_var: CACHE_SECRET }
    containers_bucket:
      name: sifs
      credentials: { access_key_var: SIF_KEY, secret_key_var: SIF_SECRET }
spack: { repository: https://github.com/spack/spack.git, branch: v0.19.0, template: { spack: { view: false } } }
`);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await s3?.stop();
});

/** A checkout of branch `ref` whose plan job wrote `locks` (a fixture folder of <container>/spack.lock). */
async function pipeline(ref: string, locks: string) {
  const root = await useTempDir({});
  await cp(join(FIXTURES, locks), join(root, "out/containers/amd64"), { recursive: true });
  // Years later: every spec of the fixture cache is past any age limit.
  const context = readCiContext({
    env: {},
    now: new Date("2031-01-01T00:00:00Z"),
    overrides: { refName: ref, defaultBranch: "main" },
  });
  const env = { CACHE_KEY: s3.accessKeyId, CACHE_SECRET: s3.secretAccessKey };
  return (apply: boolean) =>
    pruneBranchCache({
      root,
      arch: "amd64",
      config,
      context,
      gitlab,
      env,
      locks: "out/containers/amd64",
      apply,
    });
}

async function records(): Promise<string[]> {
  const storage = createS3Storage({ bucket: BUCKET, prefix: BRANCH_LOCKS_PREFIX, client: s3.client() });
  try {
    return (await storage.list()).map((object) => object.key);
  } finally {
    storage.close?.();
  }
}

const deletedSpecs = (plan: { deletedSpecs: string[] }) =>
  plan.deletedSpecs.map((hash) => hash.slice(0, 7)).sort();

test("a live branch's recorded locks protect its specs from other branches' prunes; once it is gone they age out", async () => {
  double.state.branches = ["main", "feature/keep", "feature/new"];
  // feature/keep's pipeline uses both cached specs and records its lock (apply).
  const keep = await pipeline("feature/keep", "locks-protect");
  expect((await keep(true)).plan.deletedSpecs).toEqual([]);
  expect(await records()).toEqual(["feature-keep/small/spack.lock"]);
  // feature/new uses neither: feature/keep's record still protects them.
  const fresh = await pipeline("feature/new", "locks-other");
  const planned = await fresh(false);
  expect([planned.protectingBranches, planned.goneBranches, deletedSpecs(planned.plan)]).toEqual([
    ["feature-keep", "feature-new"],
    [],
    [],
  ]);
  // feature/keep is deleted in GitLab: its record no longer protects, and the specs are past age.
  double.state.branches = ["main", "feature/new"];
  const afterDelete = await fresh(false);
  expect([afterDelete.protectingBranches, afterDelete.goneBranches, deletedSpecs(afterDelete.plan)]).toEqual([
    ["feature-new"],
    ["feature-keep"],
    ["kbvflog", "s6ogqyl"],
  ]);
  expect(new Set(afterDelete.plan.deletions.map((deletion) => deletion.reason))).toEqual(
    new Set(["max-age"]),
  );
  // A plan records and deletes nothing; the janitor refuses to empty the cache without force.
  expect(await records()).toEqual(["feature-keep/small/spack.lock"]);
  await expect(fresh(true)).rejects.toMatchObject({ message: expect.stringMatching(/force/) });
  expect(await records()).toEqual(["feature-new/legacy/spack.lock"]);
});

test("an empty branch list is refused before anything is recorded or deleted", async () => {
  double.state.branches = [];
  const before = await records();
  await expect((await pipeline("feature/new", "locks-other"))(true)).rejects.toMatchObject({
    code: "BRANCH_LIST_EMPTY",
  });
  expect(await records()).toEqual(before);
});

test("the parent pipeline prunes the branch cache in branch pipelines only, and gitlab-ci-local accepts it", async () => {
  const pipelineYaml = buildParentPipeline({ config });
  const job = pipelineYaml.jobs[JOB_NAMES.pruneBranchCache("amd64")]!;
  expect(job.rules).toEqual([
    { if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: "never" },
    { if: "$CI_COMMIT_REF_NAME != $CI_DEFAULT_BRANCH", exists: ["container_definitions/amd64/**/*"] },
  ]);
  const withoutProd = structuredClone(config);
  delete withoutProd.architectures.amd64!.cache_bucket.prod_name;
  expect(buildParentPipeline({ config: withoutProd }).jobs).not.toHaveProperty(
    JOB_NAMES.pruneBranchCache("amd64"),
  );
  const results = await validateGitlabCi({
    files: {
      ".gitlab-ci.yml": renderPipelineYaml(pipelineYaml),
      "container_definitions/amd64/app.yaml": "spack:\n  specs: [zlib]\n",
    },
    entries: [".gitlab-ci.yml"],
  });
  expect(gitlabCiFailures(results)).toEqual([]);
  expect(results[0]!.jobs.map((listed) => listed.name)).toContain(JOB_NAMES.pruneBranchCache("amd64"));
}, 120_000);
