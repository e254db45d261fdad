import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { mapWithConcurrency } from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";
import { runBin, type S3Server, startHttpProxy, startS3Server, useTempDir } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyPrune,
  type CacheStorage,
  createS3Storage,
  planPrune,
  type S3Storage,
  type SpackDatabase,
} from "../src/index.js";
import { type FixtureCacheName, fixtureObjects, fixturePath } from "./fixture-cache.js";
import { deletionLines } from "./helpers.js";
import { generateV2Cache, generateV3Cache } from "./synthetic-cache.js";

let server: S3Server;
const BUCKET = "spack-cache";

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
}, 60_000);
afterAll(() => server?.stop());

function storageAt(prefix: string, endpoint = server.endpoint): S3Storage {
  const client = createS3Client({ env: process.env, endpoint, region: server.region, maxAttempts: 8 });
  // s3rver only knows its own account; the SDK reads credentials from the environment otherwise.
  Object.assign(client.config, {
    credentials: async () => ({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }),
  });
  return createS3Storage({ bucket: BUCKET, prefix, client });
}

async function upload(storage: CacheStorage, objects: Map<string, Uint8Array>): Promise<void> {
  await mapWithConcurrency([...objects], 8, ([key, body]) => storage.put(key, body));
}

async function uploadFixture(name: FixtureCacheName, prefix: string): Promise<S3Storage> {
  const storage = storageAt(prefix);
  await upload(storage, fixtureObjects(name));
  return storage;
}

/**
 * A loopback proxy in front of s3rver, for faults a real network or store has. `intercept` may
 * answer a request itself (true: handled); `shape` may answer from s3rver's response (true:
 * handled); otherwise the response passes through.
 */
async function startS3Proxy(hooks: {
  intercept?: (incoming: IncomingMessage, outgoing: ServerResponse) => boolean;
  shape?: (incoming: IncomingMessage, answer: IncomingMessage, outgoing: ServerResponse) => boolean;
}): Promise<{ endpoint: string; close(): Promise<void> }> {
  const upstream = new URL(server.endpoint);
  const proxy: Server = createServer((incoming, outgoing) => {
    if (hooks.intercept?.(incoming, outgoing)) return;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        if (hooks.shape?.(incoming, answer, outgoing)) return;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on("error", () => outgoing.destroy());
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

const decode = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
/** Objects in s3rver are as new as the upload; "now" is set far enough ahead for age rules. */
/** The environment of a bin run against s3rver: endpoint and credentials as CI would give them. */
function binEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_ENDPOINT_URL_S3: server.endpoint,
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_REGION: server.region,
    ...extra,
  };
}

const later = (days: number) => new Date(Date.now() + days * 86_400_000);

describe("S3 backend (s3rver)", () => {
  it("refused credentials are a clear S3_ACCESS_DENIED error that names no secret", async () => {
    const client = createS3Client({
      env: process.env,
      endpoint: server.endpoint,
      region: server.region,
      maxAttempts: 1,
    });
    Object.assign(client.config, {
      credentials: async () => ({ accessKeyId: "AKIA-WRONG-ID", secretAccessKey: "wrong-secret-value-123" }),
    });
    const storage = createS3Storage({ bucket: BUCKET, prefix: "mirrors/denied", client });
    const error = await planPrune({ cache: storage, now: later(1) }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "S3_ACCESS_DENIED" });
    expect((error as Error).message).toMatch(
      /^S3 refused to list s3:\/\/spack-cache\/mirrors\/denied\/: \w+ \(HTTP 403\)\. Check the credentials/,
    );
    expect((error as Error).message).not.toContain("wrong-secret-value-123");
  });

  it("plans and applies on the real v2 layout, rewriting index.json and its hash; nothing per object", async () => {
    const storage = await uploadFixture("v2-0.19-signed", "mirrors/v019");
    const options = { cache: storage, now: later(1), packagesFrom: [fixturePath("repos/api-v1")] };
    const plan = await planPrune(options);
    expect(deletionLines(plan)).toEqual([
      "package-gone linux-debian12-x86_64-gcc-12.2.0-bzip2-1.0.8-tqqloiq4svlxsxqgwiwnvgeuesxerft7.spec.json.sig",
      "package-gone linux-debian12-x86_64-gcc-12.2.0-zlib-1.2.13-goi3uexjll6zt45t5vooa7jpynf5cceb.spec.json.sig",
      "package-gone linux-debian12-x86_64-gcc-12.2.0-bzip2-1.0.8-tqqloiq4svlxsxqgwiwnvgeuesxerft7.spack",
      "package-gone linux-debian12-x86_64-gcc-12.2.0-zlib-1.2.13-goi3uexjll6zt45t5vooa7jpynf5cceb.spack",
    ]);
    for (const key of Object.keys(storage.operations)) delete storage.operations[key];
    const result = await applyPrune(options);
    expect(result.failed).toEqual([]);
    // Nothing per object: one listing page; the index and its hash; the lock (read before, taken
    // with a conditional write, probed with a second one that S3 refuses, read back after
    // taking it, before each of the four changes and before releasing it); the journal; the
    // index and its hash written twice (unpublished before the deletes, final after); the spec
    // files, then the tarballs, then the journal, then the lock deleted.
    expect(storage.operations).toEqual({ ListObjectsV2: 1, GetObject: 9, DeleteObjects: 4, PutObject: 7 });
    expect((await storage.list()).map((object) => object.key)).toEqual([
      "build_cache/_pgp/6B09A0A6FFA8EAFB9585EE5588E4C2399FDD89F1.pub",
      "build_cache/_pgp/index.json",
      "build_cache/index.json",
      "build_cache/index.json.hash",
      "build_cache/linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-kbvflog4oalvbnij4rgyqgbhmwzs3wtb.spec.json.sig",
      "build_cache/linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-s6ogqylmombycmio2go5s7lzhbalbycf.spec.json.sig",
      "build_cache/linux-debian12-x86_64/gcc-12.2.0/fixture-app-2.0/linux-debian12-x86_64-gcc-12.2.0-fixture-app-2.0-kbvflog4oalvbnij4rgyqgbhmwzs3wtb.spack",
      "build_cache/linux-debian12-x86_64/gcc-12.2.0/fixture-hello-1.0/linux-debian12-x86_64-gcc-12.2.0-fixture-hello-1.0-s6ogqylmombycmio2go5s7lzhbalbycf.spack",
    ]);
    const index = JSON.parse(decode(await storage.get("build_cache/index.json"))) as SpackDatabase;
    expect(Object.values(index.database.installs).map((record) => record.spec.name)).toEqual([
      "fixture-hello",
      "fixture-app",
    ]);
    const again = await applyPrune(options);
    expect([again.plan.deletions, again.deleted, again.index]).toEqual([[], [], { status: "unchanged" }]);
  });

  it("applies on the real v3 layout: new index blob and manifest, old blob gone", async () => {
    const storage = await uploadFixture("v3-1.0-unsigned", "mirrors/v102");
    const result = await applyPrune({
      cache: storage,
      now: later(1),
      packagesFrom: [fixturePath("repos/api-v2")],
      maxDeleteFraction: 0.6,
    });
    expect(result.plan.deletedSpecs).toEqual([
      "4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
      "mgowe23us2ms6sm5pk343rbrny3quz7g",
      "t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
    ]);
    const manifest = JSON.parse(decode(await storage.get("v3/manifests/index/index.manifest.json")));
    const checksum = manifest.data[0].checksum as string;
    const keys = (await storage.list()).map((object) => object.key);
    expect(keys).toEqual(
      [
        "blobs/sha256/0c/0cc44b2612a924b2e953a5b0b4c35a3e0a7f2c7c54f23e7e003c2173a32d29fb",
        "blobs/sha256/11/1113c14043d5fc2af5c876781f8c215e8418d9bc86698f4f69946fc5437a8833",
        "blobs/sha256/79/791339bebb32b4d6eb4e11175b30d552c65a3593792eff79151422e51311410c",
        `blobs/sha256/${checksum.slice(0, 2)}/${checksum}`,
        "blobs/sha256/ff/ffdabdece387e577f496b2572a77126682de46ffca28605af0763d8c4a8d32df",
        "v3/layout.json",
        "v3/manifests/index/index.manifest.json",
        "v3/manifests/spec/fixture-app/fixture-app-2.0-6aiy7iplw5jknw77vopd6nwuexerylxq.spec.manifest.json",
        "v3/manifests/spec/fixture-hello/fixture-hello-1.0-i5frtbpwrwgkdxxet6b7yst27zpo72rn.spec.manifest.json",
      ].sort(),
    );
    const again = await planPrune({
      cache: storage,
      now: later(1),
      packagesFrom: [fixturePath("repos/api-v2")],
    });
    expect(again.deletions).toEqual([]);
  });

  it("lists beyond one page and deletes in batches of 1000", async () => {
    const now = new Date();
    const { objects } = generateV3Cache({ specs: 400, seed: 42, now, ageDays: 1 });
    const storage = storageAt("mirrors/paged");
    await upload(storage, new Map([...objects].map(([key, object]) => [key, object.body])));
    for (const key of Object.keys(storage.operations)) delete storage.operations[key];
    const result = await applyPrune({ cache: storage, now: later(10), maxAgeDays: 5, force: true });
    expect([
      result.plan.inventory.objects,
      result.plan.deletedSpecs.length,
      result.deleted.length,
      result.failed,
    ]).toEqual([1203, 400, 1202, []]);
    // 2 listing pages; 400 manifests + 2 index reads + 7 lock reads; 1200 keys in 2 delete calls
    // (the manifests first), the two replaced index blobs and the journal in a third, the lock
    // in a fourth; the lock and its probe, the journal, and the index blob and manifest twice,
    // written. (s3rver sometimes fails a big DeleteObjects; the SDK retries it, so HTTP requests
    // may be more.)
    expect(storage.operations).toEqual({ ListObjectsV2: 2, GetObject: 409, DeleteObjects: 4, PutObject: 7 });
    const keys = (await storage.list()).map((object) => object.key);
    expect(keys.filter((key) => !key.startsWith("blobs/"))).toEqual([
      "v3/layout.json",
      "v3/manifests/index/index.manifest.json",
    ]);
    expect(keys.length).toBe(3);
  }, 120_000);

  it("reaches the same final state through a proxy that answers 500/503/SlowDown and resets connections", async () => {
    let count = 0;
    const faults: Record<string, number> = {};
    const proxy = await startS3Proxy({
      intercept(incoming, outgoing) {
        count++;
        const fault =
          count % 5 === 1 ? "reset" : count % 5 === 2 ? "503" : count % 5 === 3 ? "500" : undefined;
        if (!fault) return false;
        faults[fault] = (faults[fault] ?? 0) + 1;
        if (fault === "reset") {
          incoming.socket.destroy();
          return true;
        }
        incoming.resume();
        const code = fault === "503" ? "SlowDown" : "InternalError";
        outgoing.writeHead(Number(fault), { "content-type": "application/xml" });
        outgoing.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`,
        );
        return true;
      },
    });
    try {
      const options = { now: later(1), packagesFrom: [fixturePath("repos/api-v2")], maxDeleteFraction: 0.6 };
      const clean = await uploadFixture("v3-1.0-unsigned", "faults/clean");
      await applyPrune({ ...options, cache: clean });
      await uploadFixture("v3-1.0-unsigned", "faults/faulty");
      const faulty = storageAt("faults/faulty", proxy.endpoint);
      const result = await applyPrune({ ...options, cache: faulty, retryDelayMs: 10 });
      expect(result.failed).toEqual([]);
      expect(Object.keys(faults).sort()).toEqual(["500", "503", "reset"]);
      const state = async (storage: CacheStorage) =>
        Promise.all(
          (await storage.list()).map(async (object) => [object.key, decode(await storage.get(object.key))]),
        );
      expect(await state(storageAt("faults/faulty"))).toEqual(await state(clean));
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("runs from the bin with the endpoint and credentials from the environment, and never prints them", async () => {
    await uploadFixture("v2-0.19-unsigned", "mirrors/bin");
    const dir = await useTempDir({ "names.txt": "fixture-hello\n" });
    const env = binEnv();
    const args = [
      "prune",
      "--cache",
      `s3://${BUCKET}/mirrors/bin`,
      "--packages-from",
      join(dir, "names.txt"),
      "--now",
      later(1).toISOString(),
      "--json",
    ];
    const dry = await runBin("cache-janitor", args, { env, cleanEnv: true });
    expect([dry.code, dry.stderr, JSON.parse(dry.stdout || "{}").deletedSpecs]).toEqual([
      0,
      [
        `Build cache s3://${BUCKET}/mirrors/bin (layout v2): 6 objects, 12.1 KiB, 2 specs; index ok.`,
        "reason        specs  objects    bytes",
        "package-gone      1        2  5.8 KiB",
        "total             1        2  5.8 KiB",
        "That is 33.3% of the objects.",
        "Dry run: nothing deleted. Run 'spacktainers-janitor prune --apply' with the same options to delete.",
        "",
      ].join("\n"),
      ["kbvflog4oalvbnij4rgyqgbhmwzs3wtb"],
    ]);
    const applied = await runBin("cache-janitor", [...args, "--apply"], { env, cleanEnv: true });
    expect([
      applied.code,
      JSON.parse(applied.stdout).deleted.length,
      JSON.parse(applied.stdout).index.status,
    ]).toEqual([0, 2, "rewritten"]);
    for (const output of [dry.stdout, dry.stderr, applied.stdout, applied.stderr])
      expect(output.includes(server.secretAccessKey)).toBe(false);
  }, 60_000);

  it("sifs: removes the SIFs of gone branches from a bucket by name, with credentials from the environment", async () => {
    const sifs = storageAt("sif-test/containers");
    const names = ["app__1.0.sif", "app__1.0__gone.sif", "app__1.0__live-arm64.sif", "tools__1__amd64.sif"];
    for (const name of names) await sifs.put(name, `sif ${name}`);
    // The endpoint from a deprecated variable name this time: still read, with a warning.
    const { AWS_ENDPOINT_URL_S3: _, ...rest } = binEnv();
    const env = { ...rest, S3_ENDPOINT_URL: server.endpoint };
    const args = ["sifs", "--bucket", BUCKET, "--prefix", "sif-test/containers/", "--live-branch", "live"];
    const dry = await runBin("cache-janitor", [...args, "--now", later(1).toISOString()], {
      env,
      cleanEnv: true,
    });
    expect([dry.code, ...dry.stderr.split("\n").filter((_, index) => index !== 1 && index < 3)]).toEqual([
      0,
      "warning: S3_ENDPOINT_URL is deprecated: set AWS_ENDPOINT_URL_S3 or --endpoint instead (S3_ENDPOINT_URL will stop being read)",
      `  would delete: s3://${BUCKET}/sif-test/containers/app__1.0__gone.sif (branch gone is gone)`,
    ]);
    // Just written: too recent to be judged at the real clock.
    const now = await runBin("cache-janitor", [...args, "--apply", "--json"], { env, cleanEnv: true });
    expect([now.code, JSON.parse(now.stdout).deleted]).toEqual([0, []]);
    const applied = await runBin(
      "cache-janitor",
      [...args, "--apply", "--json", "--now", later(1).toISOString()],
      {
        env,
        cleanEnv: true,
      },
    );
    expect([applied.code, JSON.parse(applied.stdout).deleted]).toEqual([
      0,
      [{ bucket: BUCKET, key: "sif-test/containers/app__1.0__gone.sif", branchSlug: "gone", bytes: 22 }],
    ]);
    expect((await sifs.list()).map((object) => object.key)).toEqual(
      names.filter((name) => name !== "app__1.0__gone.sif").sort(),
    );
    for (const output of [dry.stderr, applied.stdout, applied.stderr])
      expect(output.includes(server.secretAccessKey)).toBe(false);
  }, 60_000);

  it("goes through HTTP_PROXY when set (jobs of a proxy: true arch), directly when NO_PROXY lists S3", async () => {
    await uploadFixture("v2-0.19-unsigned", "mirrors/proxied");
    const proxy = await startHttpProxy();
    try {
      const env = binEnv({ http_proxy: proxy.url });
      const args = ["plan", "--cache", `s3://${BUCKET}/mirrors/proxied`, "--json"];
      const via = await runBin("cache-janitor", args, { env, cleanEnv: true });
      expect(via.code).toBe(0);
      expect(proxy.requests).toContain(`CONNECT ${new URL(server.endpoint).host}`);
      const seen = proxy.requests.length;
      const direct = await runBin("cache-janitor", args, {
        env: { ...env, no_proxy: new URL(server.endpoint).hostname },
        cleanEnv: true,
      });
      expect([direct.code, proxy.requests.length]).toEqual([0, seen]);
      expect(JSON.parse(direct.stdout).totals).toEqual(JSON.parse(via.stdout).totals);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it("a v2 cache past 1,000 keys lists whole (spec files beside their <arch>/ folders) and prunes right", async () => {
    const now = new Date();
    const { objects, specs } = generateV2Cache({ specs: 700, seed: 77, now, ageDays: 1 });
    const storage = storageAt("mirrors/v2-paged");
    await upload(storage, new Map([...objects].map(([key, object]) => [key, object.body])));
    // The stand-in is checked first: what it lists is what was written (s3rver 3.7.1 lost the
    // spec files past the first page; the patched one lists like S3).
    const listed = (await storage.list()).map((object) => object.key);
    expect(listed).toEqual([...objects.keys()].sort());
    const victims = new Set(specs.slice(0, 50).map((spec) => spec.hash));
    const result = await applyPrune({
      cache: storage,
      now: later(1),
      purgeHashes: [...victims],
      cascade: false,
    });
    expect([result.plan.listing.status, result.plan.inventory.objects, result.failed]).toEqual([
      "confirmed",
      objects.size,
      [],
    ]);
    expect(result.plan.deletedSpecs.sort()).toEqual([...victims].sort());
    const index = JSON.parse(decode(await storage.get("build_cache/index.json"))) as SpackDatabase;
    expect(
      Object.entries(index.database.installs).filter(([, record]) => record.in_buildcache !== false),
    ).toHaveLength(650);
  }, 180_000);

  it("of two concurrent --apply runs on one bucket, the conditional write admits one", async () => {
    await uploadFixture("v2-0.19-signed", "mirrors/race");
    const options = { now: later(1), packagesFrom: [fixturePath("repos/api-v1")], force: true };
    const outcomes = await Promise.allSettled([
      applyPrune({ ...options, cache: storageAt("mirrors/race") }),
      applyPrune({ ...options, cache: storageAt("mirrors/race") }),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(outcomes.find((outcome) => outcome.status === "rejected")).toMatchObject({
      reason: { code: "LOCK_HELD" },
    });
    const winner = outcomes.find((outcome) => outcome.status === "fulfilled") as PromiseFulfilledResult<
      Awaited<ReturnType<typeof applyPrune>>
    >;
    expect(winner.value.warnings.filter((warning) => warning.code === "LOCK_NOT_EXCLUSIVE")).toEqual([]);
    const keys = (await storageAt("mirrors/race").list()).map((object) => object.key);
    expect(keys).not.toContain(".spacktainers-janitor.lock");
    expect(keys).toHaveLength(12 - winner.value.deleted.length);
  }, 60_000);

  it("retries a GET whose body breaks off (Error: aborted), as any transient fault", async () => {
    let cut = 0;
    const proxy = await startS3Proxy({
      shape(incoming, answer, outgoing) {
        // The first two reads of the index: headers and half the body reach the client, which is
        // reading the body when the connection drops (the SDK has already answered the command).
        const path = new URL(incoming.url ?? "/", "http://proxy").pathname;
        if (incoming.method !== "GET" || !path.endsWith("/build_cache/index.json") || cut >= 2) return false;
        cut++;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.once("data", (chunk: Buffer) => {
          answer.pause();
          outgoing.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
          setTimeout(() => {
            outgoing.socket?.destroy();
            answer.destroy();
          }, 100);
        });
        return true;
      },
    });
    try {
      await uploadFixture("v2-0.19-signed", "mirrors/truncated");
      const storage = storageAt("mirrors/truncated", proxy.endpoint);
      const plan = await planPrune({
        cache: storage,
        now: later(1),
        packagesFrom: [fixturePath("repos/api-v1")],
      });
      expect([cut, plan.index.status, plan.deletedSpecs.length]).toEqual([2, "ok", 2]);
      // Each cut GET was sent again: the index read three times, its hash once.
      expect(storage.operations.GetObject).toBe(4);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it("from the bin, through a proxy whose listing loses keys: exit 1 with the listing message, nothing deleted", async () => {
    const now = new Date();
    const { objects } = generateV2Cache({ specs: 150, seed: 78, now, ageDays: 1 });
    await upload(
      storageAt("mirrors/lossy"),
      new Map([...objects].map(([key, object]) => [key, object.body])),
    );
    // A proxy that drops every tenth <Contents> entry of ListObjectsV2 answers.
    const proxy = await startS3Proxy({
      shape(incoming, answer, outgoing) {
        if (!incoming.url?.includes("list-type=2")) return false;
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          let entry = 0;
          const body = Buffer.concat(chunks)
            .toString("utf8")
            .replace(/<Contents>.*?<\/Contents>/gs, (contents) => (entry++ % 10 === 5 ? "" : contents));
          const headers = { ...answer.headers, "content-length": String(Buffer.byteLength(body)) };
          outgoing.writeHead(answer.statusCode ?? 502, headers);
          outgoing.end(body);
        });
        return true;
      },
    });
    try {
      const run = await runBin(
        "cache-janitor",
        [
          "prune",
          "--cache",
          `s3://${BUCKET}/mirrors/lossy`,
          "--max-age",
          "0",
          "--now",
          later(1).toISOString(),
          "--apply",
          "--force",
        ],
        {
          env: binEnv({ AWS_ENDPOINT_URL_S3: proxy.endpoint }),
          cleanEnv: true,
        },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^spacktainers-janitor: error: the listing of s3:\/\/spack-cache\/mirrors\/lossy looks incomplete: \d+ object\(s\) it lacks exist when asked one by one/m,
      );
      const keys = (await storageAt("mirrors/lossy").list()).map((object) => object.key);
      expect(keys).toEqual([...objects.keys()].sort());
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
