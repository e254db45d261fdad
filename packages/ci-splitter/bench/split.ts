/**
 * Benchmark: 20 containers × 500 jobs with 60% of the specs shared (10 000 job entries), in
 * the job shape of real Spack output. Prints wall time, peak RSS and output sizes.
 * Run: pnpm bench (from packages/ci-splitter).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArchitectureConfig } from "@spacktainers/core";
import { writeFilesAtomic } from "@spacktainers/core/node";
import { splitSpackPipeline } from "../src/index.js";
import { synthesizeInput } from "./synthesize-input.js";

const architecture: ArchitectureConfig = {
  runner_tags: ["kubernetes", "amd64"],
  proxy: false,
  spack_requirement: "%gcc@12 target=x86_64_v3",
  variables: { KUBERNETES_CPU_REQUEST: "4" },
  cache_bucket: {
    name: "spack-build-cache",
    credentials: { access_key_var: "CACHE_KEY", secret_key_var: "CACHE_SECRET" },
  },
  containers_bucket: {
    name: "sif-containers",
    prefix: "containers/",
    credentials: { access_key_var: "SIF_KEY", secret_key_var: "SIF_SECRET" },
  },
};

const cases = [
  { containers: 20, jobsPerContainer: 500, sharedFraction: 0.6 },
  { containers: 100, jobsPerContainer: 50, sharedFraction: 0.6 },
];

const root = await mkdtemp(join(tmpdir(), "ci-splitter-bench-"));
try {
  const rows: string[][] = [];
  for (const [index, input] of cases.entries()) {
    const dir = join(root, `input-${index}`, "jobs_scratch_dir.amd64");
    const generated = await synthesizeInput({ dir, ...input });
    const start = performance.now();
    const result = await splitSpackPipeline({
      arch: "amd64",
      architecture,
      inputDir: dir,
      outputPath: "split.amd64",
      pipelineId: "1234",
    });
    await writeFilesAtomic(join(root, `out-${index}`), result.files);
    const seconds = (performance.now() - start) / 1000;
    const { summary } = result;
    const totalBytes = summary.files.reduce((sum, file) => sum + file.bytes, 0);
    rows.push([
      `${input.containers}×${input.jobsPerContainer}`,
      String(generated.jobEntries),
      `${(generated.bytes / 1e6).toFixed(1)} MB`,
      String(summary.uniqueJobs),
      String(summary.stages),
      String(summary.chunks),
      `${(totalBytes / 1e6).toFixed(2)} MB`,
      `${(summary.largestFile.bytes / 1024).toFixed(0)} KB`,
      `${seconds.toFixed(2)} s`,
    ]);
  }
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const header = [
    "input",
    "entries",
    "input size",
    "unique",
    "stages",
    "chunks",
    "output",
    "largest",
    "wall",
  ];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`peak RSS of the process: ${peakMb.toFixed(0)} MB (target: 10k entries in < 2 s and < 300 MB)`);
} finally {
  await rm(root, { recursive: true, force: true });
}
