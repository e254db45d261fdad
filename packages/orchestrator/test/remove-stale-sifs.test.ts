import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGitlabClient, type GitlabClient } from "@spacktainers/artifact-gatherer";
import { createS3Storage } from "@spacktainers/cache-janitor";
import { parseSiteConfig, readCiContext, type SiteConfig } from "@spacktainers/core";
import { type S3Server, startS3Server } from "@spacktainers/test-utils";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { removeStaleSifs } from "../src/remove-stale-sifs.js";

/**
 * A tiny double of GitLab's `GET /projects/:id/repository/{branches,tags}` (docs.gitlab.com
 * api/branches.html, api/tags.html), two refs per page with `x-next-page` so paging is exercised;
 * the shared double in test-utils has no repository endpoints.
 */
const gitlabState = {
  token: "glpat-test",
  branches: [] as string[],
  tags: [] as string[],
  requests: [] as string[],
};
let gitlabServer: Server;
let gitlab: GitlabClient;
let s3: S3Server;
let config: SiteConfig;

const PAGE_SIZE = 2;

beforeAll(async () => {
  gitlabServer = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    gitlabState.requests.push(`${url.pathname}?page=${url.searchParams.get("page")}`);
    const match = /^\/api\/v4\/projects\/42\/repository\/(branches|tags)$/.exec(url.pathname);
    if (request.headers["private-token"] !== gitlabState.token) {
      response.writeHead(401, { "content-type": "application/json" }).end('{"message":"401 Unauthorized"}');
      return;
    }
    if (!match) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"message":"404 Not Found"}');
      return;
    }
    const names = match[1] === "branches" ? gitlabState.branches : gitlabState.tags;
    const page = Number(url.searchParams.get("page") ?? "1");
    const rows = names
      .slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)
      .map((name) => ({ name, merged: false }));
    const next = page * PAGE_SIZE < names.length ? String(page + 1) : "";
    response
      .writeHead(200, { "content-type": "application/json", "x-next-page": next })
      .end(JSON.stringify(rows));
  });
  await new Promise<void>((resolve) => gitlabServer.listen(0, "127.0.0.1", resolve));
  const { port } = gitlabServer.address() as AddressInfo;
  gitlab = createGitlabClient({
    apiUrl: `http://127.0.0.1:${port}/api/v4`,
    projectId: "42",
    token: gitlabState.token,
    maxAttempts: 1,
  });
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
  const parsed = parseSiteConfig({ text });
  if (!parsed.value) throw new Error(JSON.stringify(parsed.problems));
  config = parsed.value;
}, 60_000);

afterAll(async () => {
  await gitlab?.close();
  await new Promise((resolve) => gitlabServer?.close(resolve));
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
  gitlabState.branches = ["main", "feature/keep", "old-but-kept", "release/1.0", "Feature/KEEP"];
  gitlabState.tags = ["v2"];
  gitlabState.requests = [];
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
  expect(gitlabState.requests).toEqual([
    "/api/v4/projects/42/repository/branches?page=1",
    "/api/v4/projects/42/repository/branches?page=2",
    "/api/v4/projects/42/repository/branches?page=3",
    "/api/v4/projects/42/repository/tags?page=1",
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
  gitlabState.branches = [];
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
  gitlabState.token = "glpat-other";
  try {
    await expect(
      removeStaleSifs({ config, context, gitlab, env, apply: true, now: later() }),
    ).rejects.toMatchObject({
      code: "GITLAB_AUTH_FAILED",
      status: 401,
    });
  } finally {
    gitlabState.token = "glpat-test";
  }
  expect(await listKeys("sif")).toEqual([...KEYS.sif].sort());
});
