/**
 * Benchmark: plan and prune a synthetic layout-v2 cache of 20,000 specs (40,003 objects spread
 * over <arch>/<compiler>/<name>-<version>/ folders, as real caches are) in memory and in a local
 * folder, and a small one in s3rver. Prints wall time, keys/s and the requests by operation.
 *
 *   pnpm --filter @spacktainers/cache-janitor bench [-- --specs 20000 --s3-specs 400]
 */
import { mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { startS3Server } from "@spacktainers/test-utils";
import {
  applyPrune,
  type CacheStorage,
  createLocalStorage,
  createMemoryStorage,
  createS3Client,
  createS3Storage,
  type MemoryObject,
  mapConcurrent,
  planPrune,
} from "../src/index.js";
import { generateV2Cache, generateV3Cache } from "../test/synthetic-cache.js";

const { values } = parseArgs({
  // `pnpm bench -- --specs N` passes the `--` on.
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { specs: { type: "string", default: "20000" }, "s3-specs": { type: "string", default: "400" } },
});
const SPECS = Number(values.specs);
const S3_SPECS = Number(values["s3-specs"]);
const NOW = new Date("2026-03-01T00:00:00Z");
// Ages spread over 365 days: max-age 256 deletes about 30 % of the specs, plus their dependents.
const RULES = { now: NOW, maxAgeDays: 256, force: true } as const;

type Row = { backend: string; step: string; objects: number; deleted: number; ms: number; requests: string };
const rows: Row[] = [];
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(", ");

async function time<T>(task: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await task();
  return [result, performance.now() - start];
}

async function bench(
  backend: string,
  storage: CacheStorage,
  objects: number,
  requests: () => Record<string, number>,
  reset: () => void,
) {
  reset();
  const [plan, planMs] = await time(() => planPrune({ ...RULES, cache: storage }));
  rows.push({
    backend,
    step: "plan",
    objects,
    deleted: plan.totals.objects,
    ms: planMs,
    requests: counts(requests()),
  });
  reset();
  const [result, applyMs] = await time(() => applyPrune({ ...RULES, cache: storage }));
  rows.push({
    backend,
    step: "plan + apply",
    objects,
    deleted: result.deleted.length,
    ms: applyMs,
    requests: counts(requests()),
  });
  reset();
  const [again, againMs] = await time(() => planPrune({ ...RULES, cache: storage }));
  rows.push({
    backend,
    step: "second plan",
    objects: objects - result.deleted.length,
    deleted: again.totals.objects,
    ms: againMs,
    requests: counts(requests()),
  });
}

// 1. In memory.
const memory = generateV2Cache({ specs: SPECS, seed: 1, now: NOW });
{
  const storage = createMemoryStorage({ objects: new Map(memory.objects) });
  const reset = () => {
    for (const key of Object.keys(storage.requests)) delete storage.requests[key];
  };
  await bench("memory", storage, memory.objects.size, () => storage.requests, reset);
}

// 2. In a local folder (a file:// mirror).
{
  const root = join(tmpdir(), `janitor-bench-${process.pid}`);
  await mapConcurrent([...memory.objects], 32, async ([key, object]: [string, MemoryObject]) => {
    const path = join(root, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, object.body);
    await utimes(path, new Date(object.lastModified), new Date(object.lastModified));
  });
  try {
    await bench(
      "local folder",
      createLocalStorage(root),
      memory.objects.size,
      () => ({}),
      () => {},
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

// 3. s3rver: small caches (it walks its folders on every listing page).
{
  const server = await startS3Server({ buckets: ["bench"] });
  try {
    for (const [layout, generated] of [
      ["v2", generateV2Cache({ specs: S3_SPECS, seed: 2, now: NOW }).objects],
      ["v3", generateV3Cache({ specs: S3_SPECS, seed: 3, now: NOW }).objects],
    ] as const) {
      const client = createS3Client({ endpoint: server.endpoint, region: server.region });
      Object.assign(client.config, {
        credentials: async () => ({
          accessKeyId: server.accessKeyId,
          secretAccessKey: server.secretAccessKey,
        }),
      });
      const storage = createS3Storage({ bucket: "bench", prefix: layout, client });
      // s3rver's LastModified is the upload time: shift "now" instead of the objects.
      await mapConcurrent([...generated], 8, ([key, object]) => storage.put(key, object.body));
      const uploaded = Date.now();
      const reset = () => {
        for (const record of [storage.operations, storage.requests])
          for (const key of Object.keys(record)) delete record[key];
      };
      reset();
      const options = {
        cache: storage,
        now: new Date(uploaded + 30 * 86_400_000),
        maxAgeDays: 10,
        force: true,
      };
      const [plan, planMs] = await time(() => planPrune(options));
      rows.push({
        backend: `s3rver ${layout}`,
        step: "plan",
        objects: generated.size,
        deleted: plan.totals.objects,
        ms: planMs,
        requests: `${counts(storage.operations)} (HTTP incl. retries: ${counts(storage.requests)})`,
      });
      reset();
      const [result, applyMs] = await time(() => applyPrune(options));
      rows.push({
        backend: `s3rver ${layout}`,
        step: "plan + apply (all)",
        objects: generated.size,
        deleted: result.deleted.length,
        ms: applyMs,
        requests: `${counts(storage.operations)} (HTTP incl. retries: ${counts(storage.requests)})`,
      });
      storage.close?.();
    }
  } finally {
    await server.stop();
  }
}

console.log(
  `Synthetic layout-v2 cache: ${SPECS} specs, ${memory.objects.size} objects; s3rver caches: ${S3_SPECS} specs.`,
);
console.table(
  rows.map((row) => ({
    backend: row.backend,
    step: row.step,
    objects: row.objects,
    deleted: row.deleted,
    "wall ms": Math.round(row.ms),
    "keys/s": Math.round(row.objects / (row.ms / 1000)),
    "requests by operation": row.requests,
  })),
);
