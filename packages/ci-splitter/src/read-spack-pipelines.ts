import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { naturalCompare, type Problem } from "@spacktainers/core";
import { CORE_SCHEMA, load } from "js-yaml";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";

/** Top-level keys of a Spack pipeline that are not jobs (DESIGN §7). */
const NOT_JOBS = new Set(["variables", "stages", "workflow", "default"]);

/** The job Spack writes when every spec is already in the build cache. */
export const NO_SPECS_JOB = "no-specs-to-rebuild";

/** Spack's last stage, holding `rebuild-index`. */
export const REBUILD_INDEX_STAGE = "stage-rebuild-index";

/** Names Spack gives the file `spack ci generate --output-file` writes, tried in this order. */
export const PIPELINE_FILE_NAMES = ["pipeline.yml", "pipeline.yaml"] as const;

/** Files of a container folder that are never the pipeline file. */
const NOT_PIPELINE_FILES = new Set(["spack.yaml", "spack.yml"]);

/** One job as Spack wrote it. */
export type SpackJob = {
  /** Job name (Spack's spec label, e.g. `zlib@1.2.13 /23njwcm %gcc@12.2.0 arch=…`). */
  name: string;
  /** Index N of `stage-N`; `Infinity` for `stage-rebuild-index`. */
  stageIndex: number;
  /** `SPACK_JOB_SPEC_DAG_HASH`, when Spack set it (every build job has it). */
  hash?: string;
  /** The job's keywords as Spack wrote them (aliases resolved). */
  body: Record<string, unknown>;
  /** Line and column of the job's key (computed on demand: only messages need it). */
  locate(): { line: number; col: number };
};

/** One container's Spack pipeline. */
export type SpackContainerPipeline = {
  /** Container name (the folder name). */
  container: string;
  /** Path of the pipeline file, as shown in messages. */
  file: string;
  /** Global `variables:` of the file (SPACK_ARTIFACTS_ROOT, SPACK_CONCRETE_ENV_DIR, …). */
  variables: Record<string, string>;
  /** Build jobs and `rebuild-index`; empty when Spack wrote only `no-specs-to-rebuild`. */
  jobs: SpackJob[];
};

export interface ReadSpackPipelinesOptions {
  /** `jobs_scratch_dir.<arch>/`: one folder per container. */
  inputDir: string;
  /** How `inputDir` is shown in messages (default: as given). */
  displayDir?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function findPipelineFile(dir: string): Promise<{ name?: string; candidates: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const yamlFiles = entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && !NOT_PIPELINE_FILES.has(entry.name))
    .map((entry) => entry.name)
    .sort(naturalCompare);
  for (const name of PIPELINE_FILE_NAMES)
    if (yamlFiles.includes(name)) return { name, candidates: yamlFiles };
  // Any single other YAML file is Spack's output under another --output-file name.
  return yamlFiles.length === 1 ? { name: yamlFiles[0], candidates: yamlFiles } : { candidates: yamlFiles };
}

/**
 * Parses one file `spack ci generate` wrote. Returns the container's jobs, or located problems
 * (not YAML, a job without a stage, a stage Spack never writes, no SPACK_ARTIFACTS_ROOT).
 */
export function parseSpackPipeline({
  text,
  file,
  container,
}: {
  text: string;
  file: string;
  container: string;
}): { value?: SpackContainerPipeline; problems: Problem[] } {
  // js-yaml parses ~10x faster than \`yaml\`'s located documents (10 000 jobs must split in
  // seconds); CORE_SCHEMA keeps \`2022-10-11\` a string. Positions are computed only when a
  // problem needs them, by \`yaml\`, which keeps source ranges.
  let data: unknown;
  try {
    data = load(text, { schema: CORE_SCHEMA, filename: file, json: false });
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message.split("\n")[0];
    return {
      problems: [
        {
          code: "SPACK_PIPELINE_NOT_YAML",
          message: `not a YAML file Spack wrote: ${reason}`,
          file,
          ...(mark ? { line: mark.line + 1, col: mark.column + 1 } : {}),
        },
      ],
    };
  }
  let positions: Map<string, { line: number; col: number }> | undefined;
  const at = (key?: string): { file: string; line: number; col: number } => {
    if (!positions) {
      positions = new Map();
      const lineCounter = new LineCounter();
      const document = parseDocument(text, { lineCounter });
      const root = document.contents;
      positions.set("", lineCounter.linePos(root?.range?.[0] ?? 0));
      if (isMap(root)) {
        for (const pair of root.items) {
          if (isScalar(pair.key))
            positions.set(String(pair.key.value), lineCounter.linePos(pair.key.range?.[0] ?? 0));
        }
      }
    }
    return { file, ...(positions.get(key ?? "") ?? positions.get("")!) };
  };
  if (!isRecord(data)) {
    return {
      problems: [
        {
          code: "SPACK_PIPELINE_INVALID",
          message: "expected a mapping of GitLab jobs (the file `spack ci generate` writes)",
          ...at(),
        },
      ],
    };
  }
  const problems: Problem[] = [];
  const jobNames = Object.keys(data).filter((key) => !NOT_JOBS.has(key));
  const buildJobs = jobNames.filter((name) => name !== NO_SPECS_JOB);
  const empty = { container, file, variables: {}, jobs: [] };
  if (jobNames.length === 0) {
    return { problems: [{ code: "SPACK_PIPELINE_INVALID", message: "the file has no job", ...at() }] };
  }
  // Only `no-specs-to-rebuild`: the whole environment is in the build cache already.
  if (buildJobs.length === 0) return { value: empty, problems: [] };

  const stages = Array.isArray(data.stages) ? data.stages.map(String) : undefined;
  if (!stages) {
    problems.push({
      code: "SPACK_PIPELINE_INVALID",
      message: "the file has jobs but no `stages:` list",
      ...at(),
    });
  }
  const variablesValue = data.variables;
  const variables: Record<string, string> = {};
  if (isRecord(variablesValue)) {
    for (const [name, value] of Object.entries(variablesValue)) variables[name] = String(value ?? "");
  }
  if (!variables.SPACK_ARTIFACTS_ROOT) {
    problems.push({
      code: "SPACK_ARTIFACTS_ROOT_MISSING",
      message:
        "global `variables:` has no SPACK_ARTIFACTS_ROOT, so the jobs cannot find their concrete environment",
      hint: "run `spack ci generate` with `--artifacts-root`",
      ...at("variables"),
    });
  }
  const jobs: SpackJob[] = [];
  for (const name of buildJobs) {
    const where = () => at(name);
    const body = data[name];
    if (!isRecord(body)) {
      problems.push({ code: "SPACK_JOB_INVALID", message: `job "${name}" is not a mapping`, ...where() });
      continue;
    }
    const stage = body.stage;
    if (typeof stage !== "string" || stage === "") {
      problems.push({ code: "SPACK_JOB_NO_STAGE", message: `job "${name}" has no stage`, ...where() });
      continue;
    }
    const match = /^stage-(\d+)$/.exec(stage);
    if (!match && stage !== REBUILD_INDEX_STAGE) {
      problems.push({
        code: "SPACK_JOB_STAGE_UNEXPECTED",
        message: `job "${name}" is in stage "${stage}"; Spack writes only stage-<N> and ${REBUILD_INDEX_STAGE}`,
        ...where(),
      });
      continue;
    }
    if (stages && !stages.includes(stage)) {
      problems.push({
        code: "SPACK_JOB_STAGE_UNEXPECTED",
        message: `job "${name}" is in stage "${stage}", which the file's stages list does not have`,
        ...where(),
      });
      continue;
    }
    if (!Array.isArray(body.script) || body.script.length === 0) {
      problems.push({ code: "SPACK_JOB_INVALID", message: `job "${name}" has no script`, ...where() });
      continue;
    }
    const jobVariables = isRecord(body.variables) ? body.variables : {};
    const hash = jobVariables.SPACK_JOB_SPEC_DAG_HASH;
    jobs.push({
      name,
      stageIndex: match ? Number(match[1]) : Number.POSITIVE_INFINITY,
      ...(typeof hash === "string" ? { hash } : {}),
      body,
      locate: () => {
        const { line, col } = where();
        return { line, col };
      },
    });
  }
  if (problems.length > 0) return { problems };
  return { value: { container, file, variables, jobs }, problems: [] };
}

/**
 * Reads `jobs_scratch_dir.<arch>/<container>/<pipeline file>` for every container folder, in
 * natural order of the container names. Collects every problem (a missing or empty directory,
 * a folder without a pipeline file, each file's own problems) before returning.
 */
export async function readSpackPipelines({
  inputDir,
  displayDir = inputDir,
}: ReadSpackPipelinesOptions): Promise<{ value?: SpackContainerPipeline[]; problems: Problem[] }> {
  let folders: string[];
  try {
    const info = await stat(inputDir);
    if (!info.isDirectory()) {
      return {
        problems: [
          { code: "INPUT_NOT_A_DIRECTORY", message: "the input is not a directory", file: displayDir },
        ],
      };
    }
    const entries = await readdir(inputDir, { withFileTypes: true });
    folders = entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
      .map((entry) => entry.name)
      .sort(naturalCompare);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return {
      problems: [
        {
          code: "INPUT_MISSING",
          message: "the input directory does not exist",
          hint: "pass the jobs_scratch_dir.<arch> directory that the concretize jobs' artifacts fill",
          file: displayDir,
        },
      ],
    };
  }
  if (folders.length === 0) {
    return {
      problems: [
        {
          code: "INPUT_EMPTY",
          message: "the input directory has no container folder (expected <container>/pipeline.yml)",
          file: displayDir,
        },
      ],
    };
  }
  const problems: Problem[] = [];
  const pipelines: SpackContainerPipeline[] = [];
  for (const container of folders) {
    const dir = join(inputDir, container);
    const { name, candidates } = await findPipelineFile(dir);
    if (!name) {
      problems.push({
        code: "SPACK_PIPELINE_MISSING",
        message:
          candidates.length === 0
            ? `container folder has no pipeline file (expected ${PIPELINE_FILE_NAMES.join(" or ")})`
            : `container folder has several YAML files and no ${PIPELINE_FILE_NAMES.join(" or ")}: ${candidates.join(", ")}`,
        file: `${displayDir}/${container}`,
      });
      continue;
    }
    const file = `${displayDir}/${container}/${name}`;
    const text = await readFile(join(dir, name), "utf8");
    const parsed = parseSpackPipeline({ text, file, container });
    problems.push(...parsed.problems);
    if (parsed.value) pipelines.push(parsed.value);
  }
  if (problems.length > 0) return { problems };
  return { value: pipelines, problems: [] };
}
