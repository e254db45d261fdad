import { readFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { listFilesRecursive } from "@spacktainers/core/node";
import { runBin, type S3Server, startS3Server, useTempDir } from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";

const FIXTURES = join(import.meta.dirname, "fixtures-prune");
const BUCKET = "spack-cache";
let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  const client = s3.client();
  const root = join(FIXTURES, "cache/files");
  for (const key of await listFilesRecursive(root)) {
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(join(root, key)) }),
    );
  }
}, 60_000);
afterAll(() => s3?.stop());

async function cacheKeys(): Promise<string[]> {
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (listed.Contents ?? []).map((object) => object.Key!).sort();
}

/** A repository whose amd64 cache bucket is the s3rver bucket, credentials in config-named variables. */
async function repository(locks: string, endpoint = s3.endpoint) {
  const config = `
architectures:
  amd64:
    runner_tags: [docker]
    spack_requirement: "%gcc@12"
    cache_bucket:
      name: ${BUCKET}
      endpoint: ${endpoint}
      max_age_days: 30
      credentials: { access_key_var: CACHE_KEY, secret_key_var: CACHE_SECRET }
    containers_bucket:
      name: sifs
      credentials: { access_key_var: SIF_KEY, secret_key_var: SIF_SECRET }
spack:
  repository: https://github.com/spack/spack.git
  branch: v0.19.0
  template: { spack: { view: false } }
`;
  const root = await useTempDir({
    "container_definitions/spacktainers.yaml": config,
    "container_definitions/amd64/small.yaml": "spack:\n  specs: [zlib]\n",
  });
  const { cp } = await import("node:fs/promises");
  await cp(join(FIXTURES, locks), join(root, "out/containers/amd64"), { recursive: true });
  return root;
}

// Years after the fixture cache was written: every spec is past max_age_days.
const LATER = "2031-01-01T00:00:00Z";
const credentials = (root: string) => ({
  CACHE_KEY: s3.accessKeyId,
  CACHE_SECRET: s3.secretAccessKey,
  CI_PROJECT_DIR: root,
});

test("the specs of this pipeline's locks (and their dependencies) are never pruned, even past max age", async () => {
  const root = await repository("locks-protect");
  const before = await cacheKeys();
  const run = await runBin("orchestrator", ["prune", "--arch", "amd64", "--now", LATER, "--apply"], {
    cleanEnv: true,
    env: credentials(root),
  });
  expect(run.code).toBe(0);
  expect(await cacheKeys()).toEqual(before);
  const report = JSON.parse(await readFile(join(root, "out/prune-amd64.json"), "utf8"));
  expect(report.keepLocks).toEqual([join(root, "out/containers/amd64/small/spack.lock")]);
  expect(report.plan.deletions).toEqual([]);
  expect(report.plan.protected.map((p: { hash: string }) => p.hash.slice(0, 7)).sort()).toEqual([
    "kbvflog",
    "s6ogqyl",
  ]);
  expect(run.stderr).not.toContain(s3.secretAccessKey);
});

test("without protection the plan lists the old specs with their reason, and apply refuses to empty the cache", async () => {
  const root = await repository("locks-other");
  const before = await cacheKeys();
  const plan = await runBin("orchestrator", ["prune", "--arch", "amd64", "--now", LATER, "--json"], {
    cleanEnv: true,
    env: credentials(root),
  });
  expect(plan.code).toBe(0);
  const { plan: dryRun } = JSON.parse(plan.stdout);
  expect(dryRun.deletedSpecs.map((hash: string) => hash.slice(0, 7)).sort()).toEqual(["kbvflog", "s6ogqyl"]);
  expect(new Set(dryRun.deletions.map((d: { reason: string }) => d.reason))).toEqual(new Set(["max-age"]));
  const apply = await runBin("orchestrator", ["prune", "--arch", "amd64", "--now", LATER, "--apply"], {
    cleanEnv: true,
    env: credentials(root),
  });
  expect(apply.code).not.toBe(0);
  expect(apply.stderr).toMatch(/max-delete-fraction|--force/);
  expect(await cacheKeys()).toEqual(before);
});

test("an arch with only .def containers is skipped, not pruned blind", async () => {
  const root = await repository("locks-protect");
  const { rm, writeFile } = await import("node:fs/promises");
  await rm(join(root, "container_definitions/amd64/small.yaml"));
  await writeFile(
    join(root, "container_definitions/amd64/tool.def"),
    "Bootstrap: docker\nFrom: alpine:3.20\n",
  );
  const before = await cacheKeys();
  const run = await runBin("orchestrator", ["prune", "--arch", "amd64", "--now", LATER, "--apply"], {
    cleanEnv: true,
    env: credentials(root),
  });
  expect([run.code, run.stderr.trim()]).toEqual([
    0,
    "spacktainers: amd64 has no Spack container; its build cache is not pruned",
  ]);
  expect(await cacheKeys()).toEqual(before);
});

test("missing credentials and missing locks are bad input (exit 2), named by variable, never by value", async () => {
  const root = await repository("locks-protect");
  const noCredentials = await runBin("orchestrator", ["prune", "--arch", "amd64"], {
    cleanEnv: true,
    env: { CI_PROJECT_DIR: root },
  });
  expect([noCredentials.code, noCredentials.stderr.trim()]).toEqual([
    2,
    "spacktainers: error: the CI variables CACHE_KEY and CACHE_SECRET (architectures.amd64.cache_bucket.credentials) must be set to prune the build cache",
  ]);
  const noLocks = await runBin("orchestrator", ["prune", "--arch", "amd64", "--locks", "out/none"], {
    cleanEnv: true,
    env: credentials(root),
  });
  expect(noLocks.code).toBe(2);
  expect(noLocks.stderr).toContain("the prune job needs the locks the plan job wrote");
});

/**
 * A reverse proxy in front of s3rver that answers the first `failures` requests with S3's
 * `500 InternalError`, as a busy gateway does; the rest pass through.
 */
async function startFailingProxy(failures: number) {
  const target = new URL(s3.endpoint);
  let failed = 0;
  const server = createServer((incoming, outgoing) => {
    if (failed < failures) {
      failed++;
      incoming.resume();
      outgoing.writeHead(500, { "content-type": "application/xml" });
      outgoing.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>',
      );
      return;
    }
    const forwarded = request(
      {
        host: target.hostname,
        port: target.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failed: () => failed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test("prune's S3 client retries like the janitor's: five failed attempts in a row still end in a plan", async () => {
  // The SDK's default (3 attempts) gave up after the second failure; the janitor's policy
  // (6 attempts) lasts through five, and prune now builds its client the same way.
  const proxy = await startFailingProxy(5);
  try {
    const root = await repository("locks-protect", proxy.endpoint);
    const run = await runBin("orchestrator", ["prune", "--arch", "amd64", "--now", LATER, "--json"], {
      cleanEnv: true,
      env: credentials(root),
    });
    expect({ code: run.code, failed: proxy.failed() }).toEqual({ code: 0, failed: 5 });
    expect(JSON.parse(run.stdout).plan.deletions).toEqual([]);
  } finally {
    await proxy.close();
  }
}, 60_000);
test("the builder's package lists (spack list of the concretize jobs) drive the removed-package rule", async () => {
  const root = await repository("locks-other");
  const { writeFile } = await import("node:fs/promises");
  const plan = async () => {
    const run = await runBin("orchestrator", ["prune", "--arch", "amd64", "--json"], {
      cleanEnv: true,
      env: credentials(root),
    });
    expect(run.code).toBe(0);
    const { plan: dryRun, packageLists } = JSON.parse(run.stdout);
    return {
      packageLists: packageLists.map((path: string) => path.slice(root.length + 1)),
      deleted: dryRun.deletions
        .filter((d: { key: string }) => d.key.endsWith(".spec.json"))
        .map((d: { key: string; reason: string }) => `${d.reason} ${d.key.split("-").at(-3)}`),
    };
  };
  // No list (or an empty one: `spack list` printed nothing): the rule is off.
  await writeFile(join(root, "out/containers/amd64/legacy/packages.txt"), "");
  expect(await plan()).toEqual({ packageLists: [], deleted: [] });
  // fixture-app is in no repository of the builder any more.
  await writeFile(join(root, "out/containers/amd64/legacy/packages.txt"), "fixture-hello\nzlib\n");
  expect(await plan()).toEqual({
    packageLists: ["out/containers/amd64/legacy/packages.txt"],
    deleted: ["package-gone app"],
  });
});
