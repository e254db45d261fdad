/**
 * Synthesizes `jobs_scratch_dir.<arch>/` with the job shape of Spack 0.23.1's real output
 * (__fixtures__/spack/0.23.1/ci-generate-empty-mirror): spec labels as job names, the same
 * variables, script, artifacts and retry, stages `stage-<depth>`, `rebuild-index` last.
 * Used by the large-input tests and by the benchmark.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";

export interface SynthesizeInputOptions {
  /** Directory to write (`jobs_scratch_dir.<arch>`). */
  dir: string;
  /** Container folders. */
  containers: number;
  /** Build jobs per container. */
  jobsPerContainer: number;
  /** Share of each container's jobs drawn from one pool common to all containers (0–1). */
  sharedFraction: number;
  /** Dependency depth: stages 0 … depth-1. */
  depth?: number;
  /** Extra characters in every package name (to test long job names). */
  namePadding?: number;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

function dagHash(seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  let hash = "";
  for (let index = 0; index < 32; index++) hash += ALPHABET[digest[index]! % 32];
  return hash;
}

type Spec = { key: string; name: string; label: string; hash: string; level: number; deps: Spec[] };

function makeSpec(key: string, level: number, deps: Spec[], padding: number): Spec {
  const hash = dagHash(key);
  const name = `pkg-${key}${padding > 0 ? `-${"x".repeat(padding)}` : ""}`;
  const label = `${name}@1.${level}.0 /${hash.slice(0, 7)} %gcc@12.2.0 arch=linux-ubuntu22.04-x86_64_v3`;
  return { key, name, label, hash, level, deps };
}

/** Builds `count` specs in `depth` levels; each depends on up to 3 specs of lower levels of the same set. */
function makeSpecs(prefix: string, count: number, depth: number, padding: number, base: Spec[] = []): Spec[] {
  const specs: Spec[] = [];
  for (let index = 0; index < count; index++) {
    const level = Math.floor((index * depth) / count);
    const candidates = [...base, ...specs].filter((spec) => spec.level === level - 1);
    const deps: Spec[] = [];
    for (let pick = 0; pick < 3 && candidates.length > 0 && level > 0; pick++) {
      const dep = candidates[(index * 7 + pick * 13) % candidates.length]!;
      if (!deps.includes(dep)) deps.push(dep);
    }
    specs.push(makeSpec(`${prefix}${index}`, level, deps, padding));
  }
  return specs;
}

function jobOf(spec: Spec, stageOffset: number): Record<string, unknown> {
  return {
    image: { name: "ghcr.io/example/spack-runner-ubuntu22.04:latest", entrypoint: [""] },
    variables: {
      SPACK_BUILD_JOBS: "4",
      SPACK_JOB_SPEC_DAG_HASH: spec.hash,
      SPACK_JOB_SPEC_PKG_NAME: spec.name,
      SPACK_JOB_SPEC_PKG_VERSION: `1.${spec.level}.0`,
      SPACK_JOB_SPEC_COMPILER_NAME: "gcc",
      SPACK_JOB_SPEC_COMPILER_VERSION: "12.2.0",
      SPACK_JOB_SPEC_ARCH: "linux-ubuntu22.04-x86_64_v3",
      SPACK_JOB_SPEC_VARIANTS: "+shared build_system=generic",
      SPACK_SPEC_NEEDS_REBUILD: "True",
    },
    script: [
      "cd jobs_scratch_dir/concrete_environment",
      "spack env activate --without-view .",
      "spack ci rebuild",
    ],
    tags: ["spack", "large", "x86_64"],
    needs: [
      ...spec.deps.map((dep) => ({ job: dep.label, artifacts: false })),
      { job: "generate-pipeline", pipeline: "1001" },
    ],
    artifacts: {
      when: "always",
      paths: [
        "jobs_scratch_dir/logs",
        "jobs_scratch_dir/reproduction",
        "jobs_scratch_dir/tests",
        "jobs_scratch_dir/user_data",
      ],
    },
    stage: `stage-${spec.level + stageOffset}`,
    retry: { max: 2, when: ["unknown_failure", "script_failure", "runner_system_failure"] },
    interruptible: true,
  };
}

/**
 * Writes the input and returns what it holds. Container k lists the shared specs shifted by
 * k % 3 stages (as if generated against another cache state), so the earliest copy must win.
 */
export async function synthesizeInput(
  options: SynthesizeInputOptions,
): Promise<{ jobEntries: number; uniqueSpecs: number; bytes: number }> {
  const depth = options.depth ?? 12;
  const padding = options.namePadding ?? 0;
  const sharedCount = Math.round(options.jobsPerContainer * options.sharedFraction);
  const ownCount = options.jobsPerContainer - sharedCount;
  const shared = makeSpecs("s", sharedCount, depth, padding);
  let bytes = 0;
  for (let container = 0; container < options.containers; container++) {
    const own = makeSpecs(`c${container}-`, ownCount, depth, padding, shared);
    const offset = container % 3;
    const pipeline: Record<string, unknown> = {};
    for (const spec of [...shared, ...own]) pipeline[spec.label] = jobOf(spec, offset);
    pipeline["rebuild-index"] = {
      script: ["spack buildcache update-index --keys s3://spack-build-cache"],
      image: { name: "ghcr.io/example/spack-runner-ubuntu22.04:latest", entrypoint: [""] },
      tags: ["spack", "service"],
      stage: "stage-rebuild-index",
      when: "always",
      dependencies: [],
    };
    pipeline.stages = [
      ...Array.from({ length: depth + offset }, (_, index) => `stage-${index}`),
      "stage-rebuild-index",
    ];
    pipeline.variables = {
      SPACK_ARTIFACTS_ROOT: "jobs_scratch_dir",
      SPACK_CONCRETE_ENV_DIR: "jobs_scratch_dir/concrete_environment",
      SPACK_VERSION: "0.23.1 (b7f0c71d9083f0b93886296bd03f421367ceb335)",
      SPACK_JOB_LOG_DIR: "jobs_scratch_dir/logs",
      SPACK_REBUILD_EVERYTHING: "False",
    };
    pipeline.workflow = { rules: [{ when: "always" }] };
    const text = stringify(pipeline, { aliasDuplicateObjects: false, lineWidth: 0 });
    bytes += Buffer.byteLength(text);
    const folder = join(options.dir, `container-${container}`);
    await mkdir(join(folder, "concrete_environment"), { recursive: true });
    await writeFile(join(folder, "pipeline.yml"), text);
  }
  return {
    jobEntries: options.containers * options.jobsPerContainer,
    uniqueSpecs: sharedCount + options.containers * ownCount,
    bytes,
  };
}
