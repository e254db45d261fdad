/**
 * Benchmark of loadDefinitions over a generated repository: N containers per architecture
 * (a third file form, a third folder form with epilogue and copied files, a third .def).
 * Run: pnpm --filter @spacktainers/definitions-parser bench
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadDefinitions } from "../src/index.js";

const CONFIG = `architectures:
${["amd64", "arm64"]
  .map(
    (arch) => `  ${arch}:
    runner_tags: [${arch}]
    spack_requirement: "%gcc@12"
    cache_bucket: { name: cache-${arch}, credentials: { access_key_var: A_KEY, secret_key_var: S_KEY } }
    containers_bucket: { name: sif-${arch}, credentials: { access_key_var: A_KEY2, secret_key_var: S_KEY2 } }`,
  )
  .join("\n")}
spack: { repository: https://github.com/spack/spack.git, branch: v1.0.2, template: { spack: { specs: [] } } }
`;

async function write(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function generate(root: string, perArch: number): Promise<number> {
  await write(root, "container_definitions/spacktainers.yaml", CONFIG);
  let files = 1;
  for (const arch of ["amd64", "arm64"]) {
    for (let i = 0; i < perArch; i++) {
      const name = `c${i}`;
      const base = `container_definitions/${arch}/${name}`;
      if (i % 3 === 0) {
        await write(
          root,
          `${base}.yaml`,
          `spack:\n  specs:\n    - "pkg-${i}@1.${i}: +mpi ~shared ^mpich"\n    - py-numpy\n`,
        );
        files += 1;
      } else if (i % 3 === 1) {
        await write(root, `${base}/spack.yaml`, `spack:\n  specs: [pkg-${i} model=x]\n`);
        await write(root, `${base}/Dockerfile.epilogue`, "RUN true\n");
        await write(root, `${base}/spacktainer.yaml`, `files:\n  - files/${arch}-${name}:/opt/${name}\n`);
        for (let f = 0; f < 10; f++)
          await write(root, `files/${arch}-${name}/f${f}.txt`, `${f}\n`.repeat(100));
        files += 13;
      } else {
        await write(
          root,
          `${base}.def`,
          `Bootstrap: docker\nFrom: registry.example.org:5050/ns/img-${i}:1.${i}\n`,
        );
        files += 1;
      }
    }
  }
  return files;
}

const rows: string[][] = [["containers", "files", "ms (median of 5)"]];
for (const perArch of [30, 150, 600]) {
  const root = await mkdtemp(join(tmpdir(), "spacktainers-bench-"));
  try {
    const files = await generate(root, perArch);
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      const result = await loadDefinitions({ root });
      times.push(performance.now() - start);
      if (result.problems.length > 0 || result.definitions.length !== perArch * 2)
        throw new Error(`unexpected result: ${JSON.stringify(result.problems.slice(0, 3))}`);
    }
    times.sort((a, b) => a - b);
    rows.push([String(perArch * 2), String(files), times[2]!.toFixed(1)]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
for (const row of rows) console.log(row.map((cell, column) => cell.padStart(widths[column]!)).join("  "));
