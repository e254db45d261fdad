import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ArchitectureConfig, parseSiteConfig } from "@spacktainers/core";
import { type FileTree, runBin, useTempDir } from "@spacktainers/test-utils";
import { parse, stringify } from "yaml";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../__fixtures__");

/** The site config of the tests (`__fixtures__/site/spacktainers.yaml`). */
export const SITE_CONFIG_TEXT = readFileSync(join(FIXTURES, "site/spacktainers.yaml"), "utf8");

export function architecture(arch = "amd64"): ArchitectureConfig {
  const { value, problems } = parseSiteConfig({ text: SITE_CONFIG_TEXT });
  if (!value) throw new Error(JSON.stringify(problems));
  return value.architectures[arch]!;
}

/** A real Spack output, e.g. `spackFixture("0.23.1", "partial")`. */
export function spackFixture(
  version: string,
  name: "empty-mirror" | "partial" | "all-built" | "multiarch-empty",
): string {
  return readFileSync(join(FIXTURES, "spack", version, `ci-generate-${name}`, "pipeline.yml"), "utf8");
}

/** `jobs_scratch_dir.<arch>/<container>/{pipeline.yml,concrete_environment/}` for each container. */
export function inputTree(containers: Record<string, string>, arch = "amd64"): FileTree {
  const tree: FileTree = {};
  for (const [container, text] of Object.entries(containers)) {
    tree[`jobs_scratch_dir.${arch}/${container}/pipeline.yml`] = text;
    tree[`jobs_scratch_dir.${arch}/${container}/concrete_environment/spack.yaml`] =
      "spack:\n  specs: [zlib]\n";
  }
  return tree;
}

type SpackInputJob = { name: string; stage: number; needs: string[] };

/** Build jobs of Spack files (what the splitter must keep), read independently of the splitter. */
export function spackJobs(texts: string[]): SpackInputJob[] {
  const jobs: SpackInputJob[] = [];
  for (const text of texts) {
    const data = parse(text, { maxAliasCount: -1 }) as Record<string, Record<string, unknown>>;
    for (const [name, body] of Object.entries(data)) {
      if (
        ["variables", "stages", "workflow", "default", "no-specs-to-rebuild", "rebuild-index"].includes(name)
      )
        continue;
      const needs = ((body.needs as Array<{ job: string; pipeline?: string }>) ?? [])
        .filter((need) => need.pipeline === undefined)
        .map((need) => need.job);
      jobs.push({ name, stage: Number(String(body.stage).replace("stage-", "")), needs });
    }
  }
  return jobs;
}

/**
 * Checks what the "done when" asks: every spec built exactly once, in its earliest
 * stage, after every job it needs; stage triggers chained. Returns a list of violations.
 */
export function checkSplit(files: Record<string, string>, inputs: string[]): string[] {
  const violations: string[] = [];
  const input = spackJobs(inputs);
  const earliest = new Map<string, number>();
  for (const job of input)
    earliest.set(job.name, Math.min(earliest.get(job.name) ?? Number.POSITIVE_INFINITY, job.stage));
  const placed = new Map<string, number>();
  for (const [path, text] of Object.entries(files)) {
    if (!path.startsWith("chunks/")) continue;
    const data = parse(text) as Record<string, { stage: string }>;
    for (const [name, job] of Object.entries(data)) {
      if (name === "stages" || name === "variables" || name === "default") continue;
      if (placed.has(name)) violations.push(`${name} built twice`);
      placed.set(name, Number(job.stage.replace("stage-", "")));
    }
  }
  for (const [name, stage] of earliest) {
    if (!placed.has(name)) violations.push(`${name} not built`);
    else if (placed.get(name) !== stage)
      violations.push(`${name} in stage ${placed.get(name)}, earliest is ${stage}`);
  }
  for (const job of input) {
    for (const need of job.needs) {
      if (placed.has(need) && placed.get(need)! >= placed.get(job.name)!)
        violations.push(`${job.name} runs before ${need}`);
    }
  }
  const trigger = parse(files["pipeline.yml"]!) as Record<
    string,
    { stage?: string; needs?: string[]; trigger?: unknown }
  >;
  const stages = trigger.stages as unknown as string[];
  const triggersByStage = new Map<string, string[]>();
  for (const [name, job] of Object.entries(trigger)) {
    if (job && typeof job === "object" && "trigger" in job) {
      triggersByStage.set(job.stage!, [...(triggersByStage.get(job.stage!) ?? []), name]);
    }
  }
  const buildStages = stages.filter((stage) => stage.startsWith("stage-"));
  buildStages.forEach((stage, index) => {
    if (index === 0) return;
    for (const name of triggersByStage.get(stage) ?? []) {
      const needs = trigger[name]!.needs;
      if (!needs) continue; // more than 50 previous triggers: the stage order alone chains them
      for (const previous of triggersByStage.get(buildStages[index - 1]!) ?? [])
        if (!needs.includes(previous)) violations.push(`${name} does not need ${previous}`);
    }
  });
  return violations;
}

/**
 * A small pipeline in the shape Spack 1.0 writes (block style, sorted top-level keys, anchors
 * for what jobs share): `jobs` maps a spec name to its stage and the specs it needs.
 */
export function spackPipelineText(
  jobs: Record<string, { stage: number; needs?: string[] }>,
  artifactsRoot = "jobs_scratch_dir",
): string {
  const image = { name: "ghcr.io/example/spack-runner-debian12:latest", entrypoint: [""] };
  const script = [
    `cd ${artifactsRoot}/concrete_environment`,
    "spack env activate --without-view .",
    "spack ci rebuild",
  ];
  const document: Record<string, unknown> = {};
  const depth = Math.max(...Object.values(jobs).map((job) => job.stage));
  for (const [name, job] of Object.entries(jobs)) {
    document[`${name}@1.0 /${name.padEnd(7, "x")}`] = {
      image,
      variables: { SPACK_JOB_SPEC_DAG_HASH: name.padEnd(32, "x"), SPACK_JOB_SPEC_PKG_NAME: name },
      script,
      needs: [
        ...(job.needs ?? []).map((need) => ({
          job: `${need}@1.0 /${need.padEnd(7, "x")}`,
          artifacts: false,
        })),
        { job: "generate-pipeline", pipeline: "1001" },
      ],
      artifacts: { when: "always", paths: [`${artifactsRoot}/logs`] },
      stage: `stage-${job.stage}`,
    };
  }
  document.stages = [
    ...Array.from({ length: depth + 1 }, (_, index) => `stage-${index}`),
    "stage-rebuild-index",
  ];
  document.variables = {
    SPACK_ARTIFACTS_ROOT: artifactsRoot,
    SPACK_CONCRETE_ENV_DIR: `${artifactsRoot}/concrete_environment`,
  };
  return stringify(document, { lineWidth: 0 });
}

/** Paths are absolute and the bin runs from the repository root; output normalised to `<root>`. */
function args(cwd: string, extra: string[] = []): string[] {
  return [
    "--arch",
    "amd64",
    "--root",
    cwd,
    "--input",
    join(cwd, "jobs_scratch_dir.amd64"),
    "--out",
    join(cwd, "split.amd64"),
    "--output-path",
    "split.amd64",
    ...extra,
  ];
}

/** A temp repository with the site config and `inputTree(containers)`. */
export async function repo(containers: Record<string, string>) {
  return useTempDir({
    "container_definitions/spacktainers.yaml": SITE_CONFIG_TEXT,
    ...inputTree(containers),
  });
}

/** Runs the bin on `repo`'s input into `<cwd>/split.amd64`; paths in its output become `<root>`. */
export async function split(
  cwd: string,
  extra: string[] = [],
  env: Record<string, string> = { CI_PIPELINE_ID: "4242" },
) {
  const result = await runBin("ci-splitter", args(cwd, extra), { cleanEnv: true, env });
  return {
    ...result,
    stdout: result.stdout.replaceAll(cwd, "<root>"),
    stderr: result.stderr.replaceAll(cwd, "<root>"),
  };
}
