/**
 * Bench: gather 8 archives totalling 1 GiB from the loopback GitLab API double (each download
 * redirected to the second, "object storage", server), once kept as archives and once
 * extracted. Prints wall time, throughput and the peak RSS of this process, which runs the
 * gatherer only (the double runs in a child process), and, when built, of the published bin
 * run without tsx (what a user runs). Target: peak RSS under 150 MB.
 *
 *   pnpm --filter @spacktainers/artifact-gatherer bench
 *
 * BENCH_CONCURRENCY=N changes the parallel downloads (default 4); BENCH_DEBUG=1 also prints the
 * peaks of process.memoryUsage(). Most of the growth over the baseline is `arrayBuffers`:
 * socket chunks already written to disk that V8 frees only once about 64 MB of external memory
 * has piled up (its external-allocation GC trigger), not data we hold.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createGitlabClient, gatherArtifacts } from "../src/index.js";

const ARCHIVES = 8;
const TOTAL = 1024 ** 3;
const PER_ARCHIVE = TOTAL / ARCHIVES;
const TOKEN = "glpat-bench-token-000000";

// The double runs in a child process: this process holds the gatherer alone.
const server = spawn(
  process.execPath,
  [
    "--conditions=spacktainers-source",
    "--import",
    "tsx",
    "double-server.ts",
    String(ARCHIVES),
    String(PER_ARCHIVE),
    TOKEN,
  ],
  { cwd: dirname(fileURLToPath(import.meta.url)), stdio: ["pipe", "pipe", "inherit"] },
);
const [firstLine] = (await once(createInterface({ input: server.stdout! }), "line")) as [string];
const double = JSON.parse(firstLine) as { url: string };
const baselineRss = process.memoryUsage().rss;

let peakRss = process.memoryUsage().rss;
const peaks: Record<string, number> = {};
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  if (process.env.BENCH_DEBUG)
    for (const [k, v] of Object.entries(usage)) peaks[k] = Math.max(peaks[k] ?? 0, v);
}, 50);

const rows: string[][] = [];
for (const extract of [false, true]) {
  const cwd = await mkdtemp(join(tmpdir(), "spacktainers-gather-bench-"));
  const client = createGitlabClient({ apiUrl: double.url, projectId: "42", token: TOKEN });
  const start = process.hrtime.bigint();
  const result = await gatherArtifacts({
    client,
    cwd,
    pipelineId: "1",
    bridge: "generate",
    targets: Array.from({ length: ARCHIVES }, (_, i) => ({
      job: `job ${i}`,
      directory: extract ? "." : `archives/${i}`,
    })),
    extract,
    maxExtractedBytes: 2 * TOTAL,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 4),
    now: new Date(),
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await client.close();
  const bytes = result.jobs.reduce((sum, job) => sum + job.archive.bytes, 0);
  const files = result.jobs.reduce((sum, job) => sum + job.files.length, 0);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  rows.push([
    extract ? "download + extract" : "download",
    `${ARCHIVES} archives, ${(bytes / 1024 ** 2).toFixed(0)} MiB`,
    String(files),
    `${seconds.toFixed(2)} s`,
    `${(bytes / 1024 ** 2 / seconds).toFixed(0)} MiB/s`,
    `${(peakRss / 1024 ** 2).toFixed(0)} MiB`,
  ]);
  await rm(cwd, { recursive: true, force: true });
}
clearInterval(sampler);

// The published bin (dist/, no tsx), as a user or a CI job without tsx runs it: its peak RSS
// from GNU time. Needs `pnpm build` first.
const binPath = join(dirname(fileURLToPath(import.meta.url)), "../bin/spacktainers-gather.js");
if (existsSync(join(dirname(binPath), "../dist/bin.js")) && existsSync("/usr/bin/time")) {
  const cwd = await mkdtemp(join(tmpdir(), "spacktainers-gather-bench-"));
  const args = ["--api-url", double.url, "--project", "42", "--pipeline", "1", "--bridge", "generate"];
  for (let i = 0; i < ARCHIVES; i++) args.push("--job", `job ${i}=.`);
  const start = process.hrtime.bigint();
  const child = spawn(
    "/usr/bin/time",
    ["-f", "maxrss-kib %M", process.execPath, binPath, ...args, "--extract"],
    {
      cwd,
      env: { PATH: process.env.PATH, GITLAB_API_TOKEN: TOKEN },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const [code] = (await once(child, "close")) as [number];
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const kib = Number(/maxrss-kib (\d+)/.exec(stderr)?.[1]);
  if (code !== 0 || !kib) throw new Error(`the bin failed (${code}): ${stderr}`);
  rows.push([
    "bin (dist): extract",
    `${ARCHIVES} archives, ${(TOTAL / 1024 ** 2).toFixed(0)} MiB`,
    String(ARCHIVES * 2),
    `${seconds.toFixed(2)} s`,
    `${(TOTAL / 1024 ** 2 / seconds).toFixed(0)} MiB/s`,
    `${(kib / 1024).toFixed(0)} MiB`,
  ]);
  await rm(cwd, { recursive: true, force: true });
} else console.log("(run `pnpm build` first to also measure the published bin without tsx)");
server.stdin!.end();
server.kill();

const header = ["run", "input", "files", "wall", "throughput", "peak RSS"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(header));
for (const row of rows) console.log(line(row));
if (process.env.BENCH_DEBUG)
  console.log(
    Object.entries(peaks)
      .map(([k, v]) => `${k} ${(v / 1024 ** 2).toFixed(0)}`)
      .join(", "),
  );
console.log(`RSS before gathering (Node + tsx + modules): ${(baselineRss / 1024 ** 2).toFixed(0)} MiB`);
console.log(
  `maxRSS (getrusage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; Node ${process.version}`,
);
