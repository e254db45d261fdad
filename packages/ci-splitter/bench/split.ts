/**
 * Benchmark of the published bin (`bin/spacktainers-ci-split.js`, i.e. dist/: `pnpm build`
 * first), run as a user runs it, each in a fresh process: wall time, peak RSS of that process,
 * input size and job counts.
 *
 *   pnpm bench                    # 20 containers × 500 jobs, 60 % shared, seed 1 (10,000 entries)
 *   pnpm bench -- --large         # also 100 × 858 (85,800 entries, about 50 MB)
 *   pnpm bench -- --input DIR     # an existing jobs_scratch_dir.<arch> instead
 *   pnpm bench -- --runs 9        # runs per input (default 5): the best and the median are shown
 *
 * The input comes from bench/generate-spack-pipelines.ts, the port of the project's
 * gen_spack_pipelines.py (the same options: --containers 20 --jobs 500 --shared-fraction 0.6
 * --seed 1).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateSpackPipelines } from "./generate-spack-pipelines.js";

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(PACKAGE, "bin/spacktainers-ci-split.js");
const SITE_CONFIG = join(PACKAGE, "__fixtures__/site/spacktainers.yaml");

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  return bytes;
}

type Run = {
  seconds: number;
  /** User + system CPU time of the process: less sensitive than wall time to a busy machine. */
  cpuSeconds: number;
  peakMb: number;
  /**
   * Minor page faults of the process: each is a fresh 4 KiB page of memory, which a virtual
   * machine can make costly (about 16 µs each on the 2-core VM the figures come from).
   */
  pageFaults: number;
  summary: { jobsRead: number; uniqueJobs: number; chunks: number; warnings: unknown[] };
};

/** Runs the bin in a fresh Node process; a wrapper reports that process's peak RSS on exit. */
async function runBin(root: string, input: string): Promise<Run> {
  const wrapper = join(root, "measure.mjs");
  await writeFile(
    wrapper,
    `process.on("exit", () => { const usage = process.resourceUsage(); process.stderr.write("\\nPEAK_RSS_KB " + usage.maxRSS + " CPU_US " + (usage.userCPUTime + usage.systemCPUTime) + " FAULTS " + usage.minorPageFault + "\\n"); });\nawait import(${JSON.stringify(BIN)});\n`,
  );
  const args = [
    "--arch",
    "amd64",
    "--root",
    root,
    "--config",
    SITE_CONFIG,
    "--input",
    input,
    "--out",
    join(root, "out"),
  ];
  args.push("--output-path", "out", "--pipeline-id", "1234", "--json");
  const start = performance.now();
  const child = spawnSync(process.execPath, [wrapper, ...args], {
    cwd: root,
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) throw new Error(`the bin failed (${child.status}):\n${child.stderr}`);
  const peak = /PEAK_RSS_KB (\d+) CPU_US (\d+) FAULTS (\d+)/.exec(child.stderr);
  return {
    seconds,
    cpuSeconds: Number(peak?.[2] ?? 0) / 1e6,
    peakMb: Number(peak?.[1] ?? 0) / 1024,
    pageFaults: Number(peak?.[3] ?? 0),
    summary: JSON.parse(child.stdout) as Run["summary"],
  };
}

/** Seconds Node itself takes to start and exit here: the floor under every figure of the bin. */
function nodeStartSeconds(): number {
  const start = performance.now();
  spawnSync(process.execPath, ["-e", ""]);
  return (performance.now() - start) / 1000;
}

/**
 * Microseconds a minor page fault (the first touch of a 4 KiB page) costs here, from a fresh
 * process touching 64 MiB once: the bin takes about 30,000 of them on the first input, so on a
 * virtual machine where they are slow this is a large share of every figure.
 */
function pageFaultMicroseconds(): number {
  const child = spawnSync(
    process.execPath,
    [
      "-e",
      "const b = new Uint8Array(64 << 20); const t = performance.now(); for (let i = 0; i < b.length; i += 4096) b[i] = 1; process.stdout.write(String((performance.now() - t) * 1000 / (b.length / 4096)));",
    ],
    { encoding: "utf8" },
  );
  return Number(child.stdout);
}

// `pnpm bench -- --input DIR` passes the `--` on.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { input: { type: "string" }, large: { type: "boolean" }, runs: { type: "string", default: "5" } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a whole number ≥ 1, not ${values.runs}`);
const root = await mkdtemp(join(tmpdir(), "ci-splitter-bench-"));
try {
  // `expected`: what the generator wrote, checked against what the bin says it read.
  const inputs: Array<{ label: string; dir: string; expected?: { entries: number; unique: number } }> = [];
  if (values.input) inputs.push({ label: values.input, dir: resolve(values.input) });
  else {
    const shapes = [{ containers: 20, jobs: 500 }, ...(values.large ? [{ containers: 100, jobs: 858 }] : [])];
    for (const [index, shape] of shapes.entries()) {
      const dir = join(root, `input-${index}`, "jobs_scratch_dir.amd64");
      const stats = await generateSpackPipelines({ out: dir, ...shape, sharedFraction: 0.6, seed: 1 });
      inputs.push({
        label: `${shape.containers}×${shape.jobs} (${stats.distinctJobNames} distinct)`,
        dir,
        expected: { entries: stats.jobEntries, unique: stats.distinctJobNames },
      });
    }
  }
  const header = [
    "input",
    "input size",
    "entries",
    "unique",
    "chunks",
    "warnings",
    "wall",
    "CPU",
    "peak RSS",
    "page faults",
  ];
  const rows: string[][] = [];
  for (const { label, dir, expected } of inputs) {
    const measured: Run[] = [];
    for (let run = 0; run < runs; run++) measured.push(await runBin(root, dir));
    const { summary } = measured[0]!;
    // The bin read the whole input: a benchmark that skipped half of it would look fast.
    if (expected && (summary.jobsRead !== expected.entries || summary.uniqueJobs !== expected.unique)) {
      throw new Error(
        `the bin read ${summary.jobsRead} entries (${summary.uniqueJobs} unique); the generator wrote ${expected.entries} (${expected.unique} unique)`,
      );
    }
    const best = (pick: (run: Run) => number) => Math.min(...measured.map(pick));
    const median = (pick: (run: Run) => number) => {
      const sorted = measured.map(pick).sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)]!;
    };
    const figure = (pick: (run: Run) => number, unit: string, digits: number) => {
      const format = (value: number) =>
        value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
      const values =
        runs === 1 ? format(pick(measured[0]!)) : `${format(best(pick))} / ${format(median(pick))}`;
      return unit === "" ? values : `${values} ${unit}`;
    };
    rows.push([
      label,
      `${((await sizeOf(dir)) / 1e6).toFixed(1)} MB`,
      String(summary.jobsRead),
      String(summary.uniqueJobs),
      String(summary.chunks),
      String(summary.warnings.length),
      figure((run) => run.seconds, "s", 2),
      figure((run) => run.cpuSeconds, "s", 2),
      figure((run) => run.peakMb, "MB", 0),
      figure((run) => run.pageFaults, "", 0),
    ]);
  }
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (runs > 1) console.log(`${runs} runs per input; figures are best / median`);
  const starts = Array.from({ length: runs }, nodeStartSeconds).sort((a, b) => a - b);
  console.log(
    `node -e "" takes ${starts[0]!.toFixed(2)} / ${starts[Math.floor((starts.length - 1) / 2)]!.toFixed(2)} s here` +
      (process.env.NODE_EXTRA_CA_CERTS
        ? " (NODE_EXTRA_CA_CERTS is set: Node reads that certificate bundle at every start)"
        : ""),
  );
  const faults = Array.from({ length: runs }, pageFaultMicroseconds).sort((a, b) => a - b);
  console.log(
    `a page fault costs ${faults[0]!.toFixed(1)} / ${faults[Math.floor((faults.length - 1) / 2)]!.toFixed(1)} µs here (first touch of 64 MiB)`,
  );
  // Wall time on a shared machine says little without its load.
  const load = loadavg().map((value) => value.toFixed(1));
  console.log(
    `machine: ${availableParallelism()} CPUs, load average ${load.join(" ")} (1, 5, 15 min) at the end`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
