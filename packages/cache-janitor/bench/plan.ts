/**
 * Benchmark: plan and prune a synthetic layout-v2 cache of 20,000 specs (40,003 objects spread
 * over <arch>/<compiler>/<name>-<version>/ folders, as real caches are) in memory and in a local
 * folder, and v2 and v3 caches in s3rver (patched to list like S3). Prints wall time, keys/s and
 * the requests by operation (list, head, get, delete, put), and fails when a listing holds fewer
 * or more objects than were written.
 *
 *   pnpm --filter @spacktainers/cache-janitor bench [-- --specs 20000 --s3-specs 400]
 *   pnpm --filter @spacktainers/cache-janitor bench -- --s3-specs 5000,20000   # full size: ~40 min
 */
import { mkdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { mapWithConcurrency } from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";
import { startS3Server } from "@spacktainers/test-utils";
import {
  applyPrune,
  type CacheStorage,
  createLocalStorage,
  createMemoryStorage,
  createS3Storage,
  type MemoryObject,
  planPrune,
} from "../src/index.js";
import { generateV2Cache, generateV3Cache } from "../test/synthetic-cache.js";

const { values } = parseArgs({
  // `pnpm bench -- --specs N` passes the `--` on.
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { specs: { type: "string", default: "20000" }, "s3-specs": { type: "string", default: "400" } },
});
const SPECS = Number(values.specs);
const S3_SPECS = values["s3-specs"].split(",").map(Number);
const NOW = new Date("2026-03-01T00:00:00Z");
// Ages spread over 365 days: max-age 256 deletes about 30 % of the specs, plus their dependents.
const RULES = { now: NOW, maxAgeDays: 256, force: true } as const;

type Row = { backend: string; step: string; objects: number; deleted: number; ms: number; requests: string };
const rows: Row[] = [];
const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([operation, count]) => `${operation} ${count}`)
    .join(", ");

/** SDK commands by operation (HTTP attempts with retries in brackets when they differ). */
function requestCounts(storage: {
  operations: Record<string, number>;
  requests: Record<string, number>;
}): string {
  const names: Record<string, string> = {
    ListObjectsV2: "list",
    HeadObject: "head",
    GetObject: "get",
    DeleteObjects: "delete",
    PutObject: "put",
  };
  return Object.entries(names)
    .map(([operation, name]) => {
      const sent = storage.operations[operation] ?? 0;
      const http = storage.requests[operation] ?? 0;
      return `${name} ${sent}${http !== sent ? ` (${http} HTTP)` : ""}`;
    })
    .join(", ");
}

/** A stable number of a key, to pick the same objects in every run. */
function hashOf(key: string): number {
  let hash = 0;
  for (let position = 0; position < key.length; position++)
    hash = (hash * 31 + key.charCodeAt(position)) >>> 0;
  return hash;
}

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
  await mapWithConcurrency([...memory.objects], 32, async ([key, object]: [string, MemoryObject]) => {
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

// 3. s3rver. Each cache has what makes the janitor ask objects one by one: orphans (1 % of
// tarballs or blobs gone) and a few index entries whose spec file or manifest is gone.
{
  const server = await startS3Server({ buckets: ["bench"] });
  try {
    for (const specs of S3_SPECS)
      for (const layout of ["v2", "v3"] as const) {
        const generated =
          layout === "v2"
            ? generateV2Cache({ specs, seed: 2, now: NOW }).objects
            : generateV3Cache({ specs, seed: 3, now: NOW, dashedNames: true }).objects;
        let removed = 0;
        for (const key of [...generated.keys()]) {
          const tarballOrBlob = key.endsWith(".spack") || (key.startsWith("blobs/") && removed % 2 === 0);
          const specFile = key.endsWith(".spec.json") || key.endsWith(".spec.manifest.json");
          if ((tarballOrBlob && hashOf(key) % 100 === 0) || (specFile && hashOf(key) % 1000 === 1)) {
            generated.delete(key);
            removed++;
          }
        }
        const client = createS3Client({ env: process.env, endpoint: server.endpoint, region: server.region });
        Object.assign(client.config, {
          credentials: async () => ({
            accessKeyId: server.accessKeyId,
            secretAccessKey: server.secretAccessKey,
          }),
        });
        const storage = createS3Storage({ bucket: "bench", prefix: `${layout}-${specs}`, client });
        const [, uploadMs] = await time(() =>
          mapWithConcurrency([...generated], 16, ([key, object]) => storage.put(key, object.body)),
        );
        // s3rver's LastModified is the upload time: shift "now" instead of the objects.
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
          listingTolerance: specs,
        };
        const [plan, planMs] = await time(() => planPrune(options));
        // The stand-in is checked before its figures are believed.
        if (plan.inventory.objects !== generated.size || plan.listing.status !== "confirmed")
          throw new Error(
            `s3rver ${layout} ${specs}: listed ${plan.inventory.objects} objects, wrote ${generated.size}; listing ${plan.listing.status}`,
          );
        rows.push({
          backend: `s3rver ${layout} (upload ${Math.round(uploadMs / 1000)} s)`,
          step: "plan",
          objects: generated.size,
          deleted: plan.totals.objects,
          ms: planMs,
          requests: requestCounts(storage),
        });
        reset();
        const [result, applyMs] = await time(() => applyPrune(options));
        rows.push({
          backend: `s3rver ${layout}`,
          step: "plan + apply (all)",
          objects: generated.size,
          deleted: result.deleted.length,
          ms: applyMs,
          requests: requestCounts(storage),
        });
        // And after the prune: what is left is what was written, less what was deleted, plus
        // the index blobs written (v3; v2 rewrites index.json in place).
        const left = (await storage.list()).length;
        const written =
          result.index.status === "rewritten"
            ? new Set(result.index.written.filter((key) => key.startsWith("blobs/"))).size
            : 0;
        if (left !== generated.size - result.deleted.length + written)
          throw new Error(
            `s3rver ${layout} ${specs}: ${left} objects listed after the prune, expected ${generated.size} - ${result.deleted.length} + ${written}`,
          );
        // Each case as it ends: a long run that dies later keeps its figures.
        console.log(
          `s3rver ${layout} ${specs} specs: ${generated.size} objects written = listed; upload ${Math.round(uploadMs / 1000)} s; plan ${Math.round(planMs)} ms; plan + apply ${Math.round(applyMs)} ms, ${result.deleted.length} deleted, ${left} left (${requestCounts(storage)})`,
        );
        storage.close?.();
      }
  } finally {
    await server.stop();
  }
}

console.log(
  `Synthetic layout-v2 cache: ${SPECS} specs, ${memory.objects.size} objects; s3rver caches: ${S3_SPECS.join(", ")} specs (listed == written checked).`,
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
