/**
 * Bench: `generate` (the library function the bin calls) for 100 synthetic containers × 2
 * arches — 200 definitions, each with its own Spack environment — offline, as on a developer's
 * machine. Prints the input, the median wall time of 5 runs and the files written. Target < 3 s.
 *
 *   pnpm --filter @spacktainers/orchestrator bench
 */
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readCiContext } from "@spacktainers/core";
import { generate } from "../src/generate.js";

const CONTAINERS_PER_ARCH = 100;
const ARCHES = ["amd64", "arm64"];
const RUNS = 5;
const TARGET_MS = 3000;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const fixtures = resolve(here, "../__fixtures__");

/** One synthetic definition; the three forms in turn (file form, folder form with files, flow lists). */
function definition(index: number): Record<string, string> {
  const name = `bench-${String(index).padStart(3, "0")}`;
  const specs = [
    `py-package-${index}@1.${index % 7}:`,
    "zlib@1.2.13",
    `hdf5+mpi~fortran api=v${110 + (index % 4)}`,
  ];
  if (index % 3 === 1)
    return {
      [`${name}/spack.yaml`]: `spack:\n  specs:\n${specs.map((s) => `    - "${s}"\n`).join("")}  packages:\n    hdf5:\n      require: "@1.14"\n`,
      [`${name}/spacktainer.yaml`]: "files:\n  - files/zlib-tools/check.sh:/opt/bench/check.sh\n",
      [`${name}/Dockerfile.epilogue`]: `RUN echo ${name}\n`,
    };
  if (index % 3 === 2)
    return { [`${name}.yaml`]: `spack:\n  specs: [${specs.map((s) => `"${s}"`).join(", ")}]\n` };
  return {
    [`${name}.yaml`]: `# container ${index}\nspack:\n  specs:\n${specs.map((s) => `    - "${s}"\n`).join("")}`,
  };
}

async function createRepo(): Promise<{ root: string; files: number; bytes: number }> {
  const root = await mkdtemp(join(tmpdir(), "spacktainers-bench-"));
  await cp(join(repoRoot, "images"), join(root, "images"), { recursive: true });
  await cp(join(fixtures, "repo/files"), join(root, "files"), { recursive: true });
  const config = await readFile(join(fixtures, "repo/container_definitions/spacktainers.yaml"), "utf8");
  const tree: Record<string, string> = { "container_definitions/spacktainers.yaml": config };
  for (const arch of ARCHES)
    for (let index = 0; index < CONTAINERS_PER_ARCH; index++)
      for (const [path, text] of Object.entries(definition(index)))
        tree[`container_definitions/${arch}/${path}`] = text;
  let bytes = 0;
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
    bytes += Buffer.byteLength(text);
  }
  return { root, files: Object.keys(tree).length, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const { root, files, bytes } = await createRepo();
try {
  const context = readCiContext({ env: {}, now: new Date("2026-01-31T12:00:00Z"), fallbackRefName: "bench" });
  const times: number[] = [];
  let result: Awaited<ReturnType<typeof generate>> | undefined;
  for (let run = 0; run < RUNS; run++) {
    await rm(join(root, "out"), { recursive: true, force: true });
    const start = performance.now();
    result = await generate({ root, out: "out", context });
    times.push(performance.now() - start);
  }
  // The whole command once as a user runs it (from source: includes tsx transpiling on start-up).
  const bin = resolve(here, "../src/bin.ts");
  const binStart = performance.now();
  execFileSync(
    process.execPath,
    ["--conditions=spacktainers-source", "--import", "tsx", bin, "generate", "--root", root, "--out", "out"],
    { cwd: here, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: "ignore" },
  );
  const binMs = performance.now() - binStart;
  let written = 0;
  for (const file of result!.files) written += (await stat(file)).size;
  const ms = median(times);
  console.log(
    [
      `input: ${result!.definitions.length} containers (${CONTAINERS_PER_ARCH} × ${ARCHES.join(", ")}), ${files} definition files, ${(bytes / 1024).toFixed(1)} KiB`,
      `generate: median ${ms.toFixed(0)} ms of ${RUNS} runs (${times.map((t) => t.toFixed(0)).join(", ")} ms); target < ${TARGET_MS} ms: ${ms < TARGET_MS ? "met" : "MISSED"}`,
      `bin (spacktainers generate, one run from source, process start included): ${binMs.toFixed(0)} ms`,
      `output: ${result!.files.length} files, ${(written / 1024).toFixed(1)} KiB, ${result!.jobCount} jobs in pipeline A`,
    ].join("\n"),
  );
  if (ms >= TARGET_MS) process.exitCode = 1;
} finally {
  await rm(root, { recursive: true, force: true });
}
