/**
 * The benchmark input: a synthetic `jobs_scratch_dir.<arch>` tree of `spack ci generate` outputs,
 * one file per container, `<dir>/<container>/generate build cache population job for <container>
 * for <arch>.yml`, of the shape Spack 1.0.2 writes with spacktainers' pipeline-gen settings
 * (a port of the project's `gen_spack_pipelines.py`, same options and same shape; its random
 * numbers come from another generator, so the bytes differ):
 *
 * - top-level keys sorted, as Spack writes them (`rebuild-index`, `stages`, `variables`,
 *   `workflow` sit between the jobs);
 * - one job per spec, `<name>@<version> /<hash>`, with SPACK_JOB_SPEC_* variables, shared
 *   (anchored) image/before_script/script/tags/artifacts/retry, `needs` on its dependencies in
 *   the same file plus the cross-pipeline need on the generate job, `stage: stage-<depth>` with
 *   the depth counted within the file, `interruptible: true`;
 * - `rebuild-index` in `stage-rebuild-index`; top-level `variables`, `stages`, `workflow.rules`.
 *
 * Each container holds `jobs` jobs, `round(jobs × sharedFraction)` of them from a pool shared
 * between containers (sized so a shared spec is in about `copies` containers), the rest its own.
 * A shared spec's stage depends on which of its dependencies the container also holds, so copies
 * sit in different stages in different files — the splitter's "moved to run after" warnings.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";

export interface GenerateSpackPipelinesOptions {
  /** Folder to create, e.g. `…/jobs_scratch_dir.amd64`. */
  out: string;
  containers?: number;
  /** Job entries per container (without rebuild-index). */
  jobs?: number;
  sharedFraction?: number;
  /** Average number of containers a shared spec appears in. */
  copies?: number;
  maxDeps?: number;
  /** Deepest dependency level: stages stage-0 … stage-<maxLevel>. */
  maxLevel?: number;
  arch?: "amd64" | "arm64";
  pipelineId?: string;
  seed?: number;
}

export type GeneratedStats = {
  containers: number;
  jobsPerContainer: number;
  jobEntries: number;
  sharedPool: number;
  sharedSpecsUsed: number;
  distinctJobNames: number;
  maxStage: number;
};

const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const ARCH_INFO = {
  amd64: { spackArch: "linux-ubuntu22.04-x86_64_v3", tag: "kubernetes" },
  arm64: { spackArch: "linux-ubuntu22.04-neoverse_v1", tag: "aws_graviton" },
} as const;
const SYLLABLES = "ab ar bo ca de el fi ga hy io ja ke li mo nu or pa qu ro si tu ur vi wa xe yo zo".split(
  " ",
);
const PREFIXES = ["", "", "", "py-", "py-", "r-", "perl-", "lib"];
const BUILD_SYSTEMS = ["cmake", "autotools", "python_pip", "makefile", "generic", "meson"];
const VARIANT_FLAGS = ["+shared", "~shared", "+mpi", "~mpi", "+openmp", "+pic", "~debug", "+hdf5"];
const RETRY_WHEN = [
  "unknown_failure",
  "script_failure",
  "api_failure",
  "stuck_or_timeout_failure",
  "runner_system_failure",
  "runner_unsupported",
  "stale_schedule",
  "archived_failure",
  "unmet_prerequisites",
  "scheduler_failure",
  "data_integrity_failure",
];
const SPACK_BEFORE_SCRIPT = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, expanded by the job
  'git config --global url."https://gitlab-ci-token:${CI_JOB_TOKEN}@bbpgitlab.epfl.ch/".insteadOf ssh://git@bbpgitlab.epfl.ch/',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, expanded by the job
  'git config --add --global url."https://gitlab-ci-token:${CI_JOB_TOKEN}@bbpgitlab.epfl.ch/".insteadOf git@bbpgitlab.epfl.ch:',
  ". $SPACK_ROOT/share/spack/setup-env.sh",
  'spack gpg trust "$SPACK_DEPLOYMENT_KEY_PUBLIC"',
  'spack gpg trust "$SPACK_DEPLOYMENT_KEY_PRIVATE"',
];

/** A seeded PRNG (mulberry32) with the few draws the generator needs. */
function createRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const integer = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  const choice = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  /** `count` distinct items, in random order. */
  const sample = <T>(items: readonly T[], count: number) => {
    const pool = [...items];
    for (let position = 0; position < count; position++) {
      const pick = position + Math.floor(next() * (pool.length - position));
      [pool[position], pool[pick]] = [pool[pick]!, pool[position]!];
    }
    return pool.slice(0, count);
  };
  const weighted = (weights: readonly number[]) => {
    let roll = next() * weights.reduce((sum, weight) => sum + weight, 0);
    for (const [position, weight] of weights.entries()) {
      roll -= weight;
      if (roll < 0) return position;
    }
    return weights.length - 1;
  };
  return { next, integer, choice, sample, weighted };
}

type Random = ReturnType<typeof createRandom>;

type Spec = {
  name: string;
  version: string;
  hash: string;
  deps: Spec[];
  compiler: string;
  compilerVersion: string;
  variants: string;
  level: number;
  shared: boolean;
};

const jobName = (spec: Spec) => `${spec.name}@${spec.version} /${spec.hash}`;

function createSpec(random: Random, name: string, deps: Spec[], level: number, shared: boolean): Spec {
  const version = `${random.integer(0, 12)}.${random.integer(0, 30)}.${random.integer(0, 9)}`;
  const hash = Array.from({ length: 32 }, () => random.choice([...B32])).join("");
  const [compiler, compilerVersion] = random.next() < 0.08 ? ["none", "none"] : ["gcc", "12.3.0"];
  const flags = random.sample(VARIANT_FLAGS, random.integer(0, 3)).sort();
  const variants = `${flags.join("")}${flags.length ? " " : ""}build_system=${random.choice(BUILD_SYSTEMS)}`;
  return { name, version, hash, deps, compiler, compilerVersion, variants, level, shared };
}

function makeName(random: Random, index: number): string {
  const word = Array.from({ length: random.integer(2, 4) }, () => random.choice(SYLLABLES)).join("");
  return `${random.choice(PREFIXES)}${word}${index % 97}`;
}

/** More low-level libraries than top-level applications. */
function pickLevel(random: Random, maxLevel: number): number {
  return random.weighted(Array.from({ length: maxLevel + 1 }, (_, level) => 1 / (1 + 0.25 * level)));
}

/** One dependency from the level below (so the depth is real) and up to maxDeps - 1 from lower ones. */
function pickDeps(random: Random, byLevel: Spec[][], level: number, maxDeps: number): Spec[] {
  if (level === 0) return [];
  const picked = new Set<Spec>();
  const previous = byLevel[level - 1]!;
  if (previous.length) picked.add(random.choice(previous));
  const lower = byLevel.slice(0, level).flatMap((specs) => specs.slice(-40));
  const extra = random.integer(0, maxDeps - 1);
  for (let count = 0; count < extra; count++) if (lower.length) picked.add(random.choice(lower));
  return [...picked].sort((a, b) => (a.hash < b.hash ? -1 : 1));
}

function containerPipeline(
  options: Required<GenerateSpackPipelinesOptions>,
  container: string,
  specs: Spec[],
): { document: Record<string, unknown>; maxDepth: number } {
  const { spackArch, tag } = ARCH_INFO[options.arch];
  const root = `jobs_scratch_dir.${options.arch}/${container}`;
  // Shared objects: the YAML writer anchors them, as Spack's output does.
  const image = {
    name: "bbpgitlab.epfl.ch:5050/hpc/spacktainers/builder:latest",
    pull_policy: "always",
    entrypoint: [""],
  };
  const beforeScript = [...SPACK_BEFORE_SCRIPT];
  const script = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, expanded by the job
    "pushd ${SPACK_CONCRETE_ENV_DIR} && spack env activate --without-view . && popd",
    "spack -d ci rebuild",
  ];
  const tags = [tag];
  const generateNeed = {
    job: `generate build cache population job for ${container} for ${options.arch}`,
    pipeline: options.pipelineId,
  };
  const onlyGenerateNeed = [generateNeed];
  const artifacts = {
    when: "always",
    paths: [`${root}/logs`, `${root}/reproduction`, `${root}/tests`, `${root}/user_data`],
  };
  const retry = { max: 2, when: [...RETRY_WHEN] };
  const inFile = new Set(specs);
  const depth = new Map<Spec, number>();
  for (const spec of specs) {
    const depths = spec.deps.filter((dep) => inFile.has(dep)).map((dep) => depth.get(dep)!);
    depth.set(spec, depths.length ? Math.max(...depths) + 1 : 0);
  }
  const document: Record<string, unknown> = {};
  let maxDepth = 0;
  for (const spec of specs) {
    const stage = depth.get(spec)!;
    maxDepth = Math.max(maxDepth, stage);
    const depNeeds = spec.deps
      .filter((dep) => inFile.has(dep))
      .map((dep) => ({ job: jobName(dep), artifacts: false }));
    document[jobName(spec)] = {
      image,
      variables: {
        SPACK_BUILD_JOBS: "4",
        SPACK_JOB_SPEC_DAG_HASH: spec.hash,
        SPACK_JOB_SPEC_PKG_NAME: spec.name,
        SPACK_JOB_SPEC_PKG_VERSION: spec.version,
        SPACK_JOB_SPEC_COMPILER_NAME: spec.compiler,
        SPACK_JOB_SPEC_COMPILER_VERSION: spec.compilerVersion,
        SPACK_JOB_SPEC_ARCH: spackArch,
        SPACK_JOB_SPEC_VARIANTS: spec.variants,
        SPACK_SPEC_NEEDS_REBUILD: "True",
      },
      before_script: beforeScript,
      script,
      tags,
      needs: depNeeds.length ? [...depNeeds, generateNeed] : onlyGenerateNeed,
      artifacts,
      stage: `stage-${stage}`,
      retry,
      interruptible: true,
    };
  }
  document["rebuild-index"] = {
    script: ["spack buildcache update-index --keys s3://spack-build-cache"],
    image,
    before_script: beforeScript,
    tags,
    stage: "stage-rebuild-index",
    when: "always",
    retry: { max: 2, when: ["runner_system_failure", "stuck_or_timeout_failure", "script_failure"] },
    interruptible: true,
    dependencies: [],
  };
  document.stages = [
    ...Array.from({ length: maxDepth + 1 }, (_, stage) => `stage-${stage}`),
    "stage-rebuild-index",
  ];
  document.variables = {
    SPACK_ARTIFACTS_ROOT: root,
    SPACK_CONCRETE_ENV_DIR: `${root}/concrete_environment`,
    SPACK_VERSION: "1.0.2 (5efd8eea1b8ea701074d72372a4acf0a972d736b)",
    SPACK_CHECKOUT_VERSION: "5efd8eea1b8ea701074d72372a4acf0a972d736b",
    SPACK_JOB_LOG_DIR: `${root}/logs`,
    SPACK_JOB_REPRO_DIR: `${root}/reproduction`,
    SPACK_JOB_TEST_DIR: `${root}/tests`,
    SPACK_PIPELINE_TYPE: "None",
    SPACK_CI_STACK_NAME: "None",
    SPACK_REBUILD_CHECK_UP_TO_DATE: "True",
    SPACK_REBUILD_EVERYTHING: "False",
    SPACK_REQUIRE_SIGNING: "False",
  };
  document.workflow = { rules: [{ when: "always" }] };
  // Spack writes the top level with sorted keys.
  const sorted = Object.fromEntries(
    Object.keys(document)
      .sort()
      .map((key) => [key, document[key]]),
  );
  return { document: sorted, maxDepth };
}

/** Writes the benchmark input and returns its statistics. Deterministic for given options. */
export async function generateSpackPipelines(
  options: GenerateSpackPipelinesOptions,
): Promise<GeneratedStats> {
  const settings: Required<GenerateSpackPipelinesOptions> = {
    containers: 20,
    jobs: 50,
    sharedFraction: 0.6,
    copies: 4,
    maxDeps: 5,
    maxLevel: 12,
    arch: "amd64",
    pipelineId: "1001",
    seed: 1,
    ...options,
  };
  const random = createRandom(settings.seed);
  const sharedPerContainer = Math.round(settings.jobs * settings.sharedFraction);
  const uniquePerContainer = settings.jobs - sharedPerContainer;
  const poolSize =
    settings.containers > 1 && sharedPerContainer
      ? Math.max(sharedPerContainer, Math.ceil((settings.containers * sharedPerContainer) / settings.copies))
      : sharedPerContainer;
  let counter = 0;
  const pool: Spec[] = [];
  const poolByLevel: Spec[][] = Array.from({ length: settings.maxLevel + 1 }, () => []);
  const levels = Array.from({ length: poolSize }, () => pickLevel(random, settings.maxLevel)).sort(
    (a, b) => a - b,
  );
  for (const level of levels) {
    const spec = createSpec(
      random,
      makeName(random, counter++),
      pickDeps(random, poolByLevel, level, settings.maxDeps),
      level,
      true,
    );
    pool.push(spec);
    poolByLevel[level]!.push(spec);
  }
  const used = new Set<Spec>();
  let maxStage = 0;
  const positions = Array.from({ length: poolSize }, (_, position) => position);
  for (let index = 0; index < settings.containers; index++) {
    const container = `container-${String(index).padStart(3, "0")}`;
    const picks = random.sample(positions, sharedPerContainer).sort((a, b) => a - b);
    const byLevel: Spec[][] = Array.from({ length: settings.maxLevel + 1 }, () => []);
    for (const pick of picks) {
      byLevel[pool[pick]!.level]!.push(pool[pick]!);
      used.add(pool[pick]!);
    }
    const ownLevels = Array.from({ length: uniquePerContainer }, () =>
      pickLevel(random, settings.maxLevel),
    ).sort((a, b) => a - b);
    for (const level of ownLevels)
      byLevel[level]!.push(
        createSpec(
          random,
          makeName(random, counter++),
          pickDeps(random, byLevel, level, settings.maxDeps),
          level,
          false,
        ),
      );
    // Topological order: dependencies always sit on a lower level.
    const { document, maxDepth } = containerPipeline(settings, container, byLevel.flat());
    maxStage = Math.max(maxStage, maxDepth);
    const folder = join(settings.out, container);
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, `generate build cache population job for ${container} for ${settings.arch}.yml`),
      // PyYAML's layout, as Spack writes: sequences not indented, single quotes.
      stringify(document, { lineWidth: 0, aliasDuplicateObjects: true, indentSeq: false, singleQuote: true }),
    );
  }
  return {
    containers: settings.containers,
    jobsPerContainer: settings.jobs,
    jobEntries: settings.containers * settings.jobs,
    sharedPool: poolSize,
    sharedSpecsUsed: used.size,
    distinctJobNames: used.size + settings.containers * uniquePerContainer,
    maxStage,
  };
}
