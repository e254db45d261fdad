import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import { createS3Storage } from "@spacktainers/cache-janitor";
import { readCiContext, type SiteConfig } from "@spacktainers/core";
import { type GitlabApiDouble, type S3Server, startS3Server } from "@spacktainers/test-utils";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { removeStaleSifs } from "../src/remove-stale-sifs.js";
import { type GitlabUnderTest, siteConfigFrom, startGitlab } from "./helpers/site-services.js";

/**
 * The GitLab API double's `repository/branches` and `repository/tags`, two refs per page so
 * paging is exercised.
 */
let api: GitlabUnderTest;
let double: GitlabApiDouble;
let gitlab: GitlabClient;
let s3: S3Server;
let config: SiteConfig;

beforeAll(async () => {
  api = await startGitlab({ projectId: "42", tokens: ["glpat-test"], pagination: { perPageMax: 2 } });
  ({ double, gitlab } = api);
  s3 = await startS3Server({ buckets: ["sif", "sif-prod"] });
  const bucket = (name: string, extra = "") => `
    containers_bucket:
      name: ${name}
${extra}      endpoint: ${s3.endpoint}
      prefix: containers/
      credentials: { access_key_var: SIF_KEY, secret_key_var: SIF_SECRET }`;
  const text = `architectures:
  amd64:
    runner_tags: [amd64]
    spack_requirement: target=x86_64_v3
    cache_bucket: { name: cache, credentials: { access_key_var: C_KEY, secret_key_var: C_SECRET } }${bucket("sif")}
  arm64:
    runner_tags: [arm64]
    spack_requirement: target=neoverse_v1
    cache_bucket: { name: cache, credentials: { access_key_var: C_KEY, secret_key_var: C_SECRET } }${bucket("sif", "      prod_name: sif-prod\n")}
spack: { repository: "https://github.com/spack/spack.git", branch: v1.0.2, template: { spack: { specs: [] } } }
`;
  config = siteConfigFrom(text);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await s3?.stop();
});

const KEYS = {
  sif: [
    // prod
    "containers/app__1.0.sif",
    "containers/app__1.0-arm64.sif",
    "containers/tools__22.04__amd64.sif",
    // live branches feature/keep and release/1.0, live tag v2
    "containers/app__1.0__feature-keep.sif",
    "containers/app__1.0__release-1-0-arm64.sif",
    "containers/app__1.1__v2.sif",
    "containers/tools__22.04__feature-keep__arm64.sif",
    // deleted branch old/work
    "containers/app__1.0__old-work.sif",
    "containers/app__1.0__old-work-arm64.sif",
    // deleted branch, but a custom name is also readable as prod: kept
    "containers/tools__22.04__old-work__amd64.sif",
    // not ours, or outside the prefix
    "containers/notes.txt",
    "containers/archive/app__1.0__old-work.sif",
    "elsewhere/app__1.0__old-work.sif",
    "containers-old/app__1.0__old-work.sif",
  ],
  // The prod bucket of arm64 is never scanned: branch SIFs never go there.
  "sif-prod": ["containers/app__1.0__old-work-arm64.sif"],
};

/** Every key of a bucket, through the janitor's S3 storage (orchestrator has no SDK dependency). */
async function listKeys(bucket: string): Promise<string[]> {
  const client = s3.client();
  try {
    return (await createS3Storage({ bucket, client }).list()).map((object) => object.key);
  } finally {
    client.destroy();
  }
}

beforeEach(async () => {
  double.state.branches = ["main", "feature/keep", "old-but-kept", "release/1.0", "Feature/KEEP"];
  double.state.tags = ["v2"];
  double.requests.length = 0;
  const client = s3.client();
  try {
    for (const [bucket, keys] of Object.entries(KEYS)) {
      const storage = createS3Storage({ bucket, client });
      for (const key of keys) await storage.put(key, `sif ${key}`);
    }
  } finally {
    client.destroy();
  }
});

// Objects s3rver just wrote are "recent" for a run at the real clock; run two hours later.
const later = () => new Date(Date.now() + 2 * 3_600_000);
const context = readCiContext({
  env: {},
  now: new Date(0),
  overrides: { refName: "main", defaultBranch: "main" },
});
const env = { SIF_KEY: "S3RVER", SIF_SECRET: "S3RVER" };

test("dry run plans, apply deletes only deleted branches' SIFs, a second run is a no-op", async () => {
  const before = { sif: await listKeys("sif"), "sif-prod": await listKeys("sif-prod") };
  expect(before).toEqual({ sif: [...KEYS.sif].sort(), "sif-prod": KEYS["sif-prod"] });
  const expected = [
    { bucket: "sif", key: "containers/app__1.0__old-work-arm64.sif", branchSlug: "old-work", bytes: 43 },
    { bucket: "sif", key: "containers/app__1.0__old-work.sif", branchSlug: "old-work", bytes: 37 },
  ];

  const plan = await removeStaleSifs({ config, context, gitlab, env, now: later() });
  expect(plan.toDelete).toEqual(expected);
  expect([plan.applied, plan.deleted, plan.errors]).toEqual([false, [], []]);
  expect(plan.liveSlugs).toEqual(["feature-keep", "main", "old-but-kept", "release-1-0", "v2"]);
  expect(plan.buckets).toEqual([
    {
      bucket: "sif",
      prefix: "containers/",
      location: "s3://sif/containers/",
      endpoint: s3.endpoint,
      architectures: ["amd64", "arm64"],
      sifs: 10,
    },
  ]);
  expect(plan.kept.map(({ key, reason }) => `${reason} ${key}`)).toEqual([
    "prod containers/app__1.0-arm64.sif",
    "prod containers/app__1.0.sif",
    "live-ref containers/app__1.0__feature-keep.sif",
    "live-ref containers/app__1.0__release-1-0-arm64.sif",
    "live-ref containers/app__1.1__v2.sif",
    "unrecognised-name containers/archive/app__1.0__old-work.sif",
    "unrecognised-name containers/notes.txt",
    "prod containers/tools__22.04__amd64.sif",
    "live-ref containers/tools__22.04__feature-keep__arm64.sif",
    "ambiguous containers/tools__22.04__old-work__amd64.sif",
  ]);
  // Branches and tags were read page by page.
  expect(double.requests.map((request) => `${request.status} ${request.path}`)).toEqual([
    "200 /api/v4/projects/42/repository/branches?per_page=100&page=1",
    "200 /api/v4/projects/42/repository/branches?per_page=100&page=2",
    "200 /api/v4/projects/42/repository/branches?per_page=100&page=3",
    "200 /api/v4/projects/42/repository/tags?per_page=100&page=1",
  ]);
  expect({ sif: await listKeys("sif"), "sif-prod": await listKeys("sif-prod") }).toEqual(before);

  const applied = await removeStaleSifs({
    config,
    context,
    gitlab,
    s3: () => s3.client(),
    apply: true,
    now: later(),
  });
  expect([applied.applied, applied.toDelete, applied.deleted, applied.errors]).toEqual([
    true,
    expected,
    expected,
    [],
  ]);
  const removed = new Set(expected.map((sif) => sif.key));
  expect(await listKeys("sif")).toEqual(before.sif.filter((key) => !removed.has(key)));
  expect(await listKeys("sif-prod")).toEqual(before["sif-prod"]);

  const again = await removeStaleSifs({ config, context, gitlab, env, apply: true, now: later() });
  expect([again.toDelete, again.deleted, again.errors]).toEqual([[], [], []]);
  expect(await listKeys("sif")).toEqual(before.sif.filter((key) => !removed.has(key)));
});

test("SIFs written in the last hour are kept even when their branch is gone", async () => {
  const plan = await removeStaleSifs({ config, context, gitlab, env, now: new Date() });
  expect(plan.toDelete).toEqual([]);
  expect(plan.kept.filter((sif) => sif.reason === "recent").map((sif) => sif.key)).toEqual([
    "containers/app__1.0__old-work-arm64.sif",
    "containers/app__1.0__old-work.sif",
  ]);
});

test("an empty branch list is refused and nothing is deleted", async () => {
  double.state.branches = [];
  await expect(
    removeStaleSifs({ config, context, gitlab, env, apply: true, force: true, now: later() }),
  ).rejects.toMatchObject({
    code: "BRANCH_LIST_EMPTY",
    message:
      "GitLab listed no branches for this project; refusing to remove SIFs, as every branch SIF would look stale. Check the token's access (read_api) and the project id.",
  });
  expect(await listKeys("sif")).toEqual([...KEYS.sif].sort());
});

test("a refused token fails before anything is listed in S3", async () => {
  double.state.tokens = ["glpat-other"];
  try {
    await expect(
      removeStaleSifs({ config, context, gitlab, env, apply: true, now: later() }),
    ).rejects.toMatchObject({
      code: "GITLAB_AUTH_FAILED",
      status: 401,
    });
  } finally {
    double.state.tokens = ["glpat-test"];
  }
  expect(await listKeys("sif")).toEqual([...KEYS.sif].sort());
});
