/**
 * Benchmark: the Spack environments of 100 containers × 2 architectures, built and written
 * all-or-nothing into a temp folder. Definitions cycle through the reference definitions of the
 * fixture repository (renamed so all 100 are distinct). Run with `pnpm bench`.
 */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSiteConfig, type SpackContainerDefinition } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { buildSpackEnvironments, writeSpackEnvironments } from "../src/index.js";

const CONTAINERS = 100;
const ARCHES = ["amd64", "arm64"];
const repo = join(import.meta.dirname, "../__fixtures__/repo");

const configText = await readFile(join(repo, "container_definitions/spacktainers.yaml"), "utf8");
const config = parseSiteConfig({ text: configText }).value!;
const { definitions: reference } = await loadDefinitions({ root: repo });
const spack = reference.filter((d): d is SpackContainerDefinition => d.kind === "spack");
const definitions: SpackContainerDefinition[] = [];
for (const arch of ARCHES) {
  for (let index = 0; index < CONTAINERS; index++) {
    const base = spack[index % spack.length]!;
    const name = `${base.name}-${index}`;
    definitions.push({ ...base, name, arch, path: `container_definitions/${arch}/${name}.yaml` });
  }
}
const inputBytes = JSON.stringify(definitions.map((d) => d.spack)).length;

const builderImage = "registry.example.org/hpc/spacktainers/builder:0123456789ab";
const options = { definitions, config, context: { isProd: false }, builderImage };
await buildSpackEnvironments(options); // warm-up (module loading, JIT)

const RUNS = 5;
/** Runs `step` RUNS times; returns the minimum and median in ms (the machine is shared: the minimum is the cost). */
async function time(step: () => Promise<unknown>): Promise<[number, number]> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    await step();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return [samples[0]!, samples[Math.floor(RUNS / 2)]!];
}

const rows: Array<[string, [number, number]]> = [];
const built = await buildSpackEnvironments(options);
rows.push(["build (in memory)", await time(() => buildSpackEnvironments(options))]);

const out = await mkdtemp(join(tmpdir(), "spack-env-bench-"));
try {
  rows.push(["build + write (atomic)", await time(() => writeSpackEnvironments({ ...options, out }))]);
  const written = await writeSpackEnvironments({ ...options, out });
  let outputBytes = 0;
  for (const file of written.files) outputBytes += (await stat(file)).size;
  console.log(
    `input: ${definitions.length} environments (${CONTAINERS} containers × ${ARCHES.length} arches), ` +
      `${inputBytes} bytes of definition spack: sections + ${configText.length} bytes of site config`,
  );
  console.log(`output: ${built.environments.length} spack.yaml files, ${outputBytes} bytes`);
  console.log(`| step (${RUNS} runs) | min ms | median ms |\n| --- | ---: | ---: |`);
  for (const [step, [min, median]] of rows)
    console.log(`| ${step} | ${min.toFixed(1)} | ${median.toFixed(1)} |`);
} finally {
  await rm(out, { recursive: true, force: true });
}
