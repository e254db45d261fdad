import { type ErrorCode, INPUT_LIMITS, type Problem } from "@spacktainers/core";
import { CORE_SCHEMA, load } from "js-yaml";
import { countYamlValues } from "./count-yaml-values.js";
import {
  indexTopLevelKeys,
  locateKey,
  type Position,
  type TopLevelKeyIndex,
} from "./index-top-level-keys.js";
import { SPACK_PIPELINE_LIMITS } from "./split-defaults.js";

/** Top-level keys of a Spack pipeline that are not jobs (GitLab's global keywords Spack writes). */
const NOT_JOBS = new Set(["variables", "stages", "workflow", "default"]);

/** The job Spack writes when every spec is already in the build cache. */
export const NO_SPECS_JOB = "no-specs-to-rebuild";

/** Spack's last stage, holding `rebuild-index`. */
export const REBUILD_INDEX_STAGE = "stage-rebuild-index";

/** One job as Spack wrote it. */
export type SpackJob = {
  /** Job name (Spack's spec label, e.g. `zlib@1.2.13 /23njwcm %gcc@12.2.0 arch=…`). */
  name: string;
  /** Index N of `stage-N`; `Infinity` for `stage-rebuild-index`. */
  stageIndex: number;
  /** `SPACK_JOB_SPEC_DAG_HASH`, when Spack set it (every build job has it). */
  hash?: string;
  /** The job's keywords as Spack wrote them (aliases resolved), without `needs`. */
  body: Record<string, unknown>;
  /** Names of the build jobs its `needs:` lists (Spack's need on its own generate job left out). */
  specNeeds: string[];
  /** Line and column of the job's key (from a line index; exact for the block style Spack ≥ 0.20 writes). */
  locate(): Position;
};

/** One container's Spack pipeline, without its jobs. */
export type SpackContainer = {
  /** Container name (the folder name). */
  container: string;
  /** Path of the pipeline file, as shown in messages. */
  file: string;
  /** Global `variables:` of the file (SPACK_ARTIFACTS_ROOT, SPACK_CONCRETE_ENV_DIR, …). */
  variables: Record<string, string>;
};

/** One container's Spack pipeline. */
export type SpackContainerPipeline = SpackContainer & {
  /** Build jobs and `rebuild-index`; empty when Spack wrote only `no-specs-to-rebuild`. */
  jobs: SpackJob[];
};

export interface ParseSpackPipelineOptions {
  /** The file's text. */
  text: string;
  /** Path of the file, as shown in messages. */
  file: string;
  /** Container name (the folder name). */
  container: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function loadYaml(text: string, file: string): { data?: unknown; problem?: Problem } {
  // js-yaml parses ~10x faster than `yaml`'s located documents; CORE_SCHEMA keeps `2022-10-11`
  // a string. Positions come from a line index (indexTopLevelKeys), never from a second parse.
  try {
    return { data: load(text, { schema: CORE_SCHEMA, filename: file, json: false }) };
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message.split("\n")[0];
    return {
      problem: {
        code: "SPACK_PIPELINE_NOT_YAML",
        message: `not a YAML file Spack wrote: ${reason}`,
        file,
        ...(mark ? { line: mark.line + 1, col: mark.column + 1 } : {}),
      },
    };
  }
}

/** The problem of one build job, or its stage index. */
function checkJob(
  name: string,
  body: unknown,
  stages: string[] | undefined,
): { stageIndex?: number; code?: ErrorCode; message?: string } {
  if (!isRecord(body)) return { code: "SPACK_JOB_INVALID", message: `job "${name}" is not a mapping` };
  const stage = body.stage;
  if (typeof stage !== "string" || stage === "")
    return { code: "SPACK_JOB_NO_STAGE", message: `job "${name}" has no stage` };
  const match = /^stage-(\d+)$/.exec(stage);
  if (!match && stage !== REBUILD_INDEX_STAGE) {
    return {
      code: "SPACK_JOB_STAGE_UNEXPECTED",
      message: `job "${name}" is in stage "${stage}"; Spack writes only stage-<N> and ${REBUILD_INDEX_STAGE}`,
    };
  }
  if (stages && !stages.includes(stage)) {
    return {
      code: "SPACK_JOB_STAGE_UNEXPECTED",
      message: `job "${name}" is in stage "${stage}", which the file's stages list does not have`,
    };
  }
  if (!Array.isArray(body.script) || body.script.length === 0)
    return { code: "SPACK_JOB_INVALID", message: `job "${name}" has no script` };
  return { stageIndex: match ? Number(match[1]) : Number.POSITIVE_INFINITY };
}

/**
 * The alias-bomb guard of core's parseYaml for data js-yaml parsed: no alias that contains
 * itself, and no more expansion than {@link SPACK_PIPELINE_LIMITS} allows.
 */
function checkAliases(
  data: unknown,
  file: string,
  index: TopLevelKeyIndex,
  text: string,
): Problem | undefined {
  const count = countYamlValues(data);
  const added = count.expanded - count.written;
  const limit = Math.max(
    INPUT_LIMITS.yamlAliasExpansion,
    count.written * SPACK_PIPELINE_LIMITS.aliasExpansionPerValue,
  );
  if (!count.cyclic && added <= limit) return undefined;
  const key = count.cyclic ? count.cyclicKey : count.largestKey;
  const at = key === undefined ? index.root : locateKey(index, key, text);
  const format = (value: number) => value.toLocaleString("en-US");
  if (count.cyclic) {
    return {
      code: "YAML_ALIASES",
      message: `a YAML alias${key === undefined ? "" : ` under "${key}"`} refers to a value that contains it, which never ends once expanded`,
      hint: "an alias may only repeat a value defined before and outside it",
      file,
      ...at,
    };
  }
  return {
    code: "YAML_ALIASES",
    message: `YAML aliases in this file expand to ${format(added)} more values, over the limit of ${format(limit)} for its ${format(count.written)} written values${key === undefined ? "" : ` (most of them under "${key}")`}`,
    hint: "this is not a file `spack ci generate` wrote: aliases that repeat aliases grow exponentially",
    file,
    ...at,
  };
}

/** Names of the build jobs a job's `needs:` lists, as the file's own key strings (one copy of each name in memory). */
function specNeedNames(needs: unknown, keys: Map<string, string>): string[] {
  if (!Array.isArray(needs)) return [];
  const names: string[] = [];
  for (const need of needs) {
    // A need with `pipeline:` is Spack's need on its own generate job; ours replaces it.
    const name =
      typeof need === "string"
        ? need
        : isRecord(need) && typeof need.job === "string" && need.pipeline === undefined
          ? need.job
          : undefined;
    if (name !== undefined) names.push(keys.get(name) ?? name);
  }
  return names;
}

/**
 * A job's `locate`, made by module-level functions so that each holds only what it needs (V8
 * keeps a closure's whole enclosing scope alive): a fixed position for a key of the line index,
 * the index and the text only for a flow-style file (Spack 0.19), located on demand.
 */
function locator(name: string, index: TopLevelKeyIndex, fallbackText: string | undefined): () => Position {
  const known = index.keys.get(name);
  return known ? fixedPosition(known.line, known.col) : searchedPosition(name, index, fallbackText);
}

function fixedPosition(line: number, col: number): () => Position {
  return () => ({ line, col });
}

function searchedPosition(name: string, index: TopLevelKeyIndex, text: string | undefined): () => Position {
  return () => locateKey(index, name, text);
}

/** The file's build jobs, or the problem of each job that is not one. */
function readJobs(
  data: Record<string, unknown>,
  buildJobs: string[],
  file: string,
  index: TopLevelKeyIndex,
  fallbackText: string | undefined,
): { jobs: SpackJob[]; problems: Problem[] } {
  const stages = Array.isArray(data.stages) ? data.stages.map(String) : undefined;
  const keys = new Map(buildJobs.map((name) => [name, name]));
  const jobs: SpackJob[] = [];
  const problems: Problem[] = [];
  for (const name of buildJobs) {
    const checked = checkJob(name, data[name], stages);
    if (checked.stageIndex === undefined) {
      problems.push({
        code: checked.code!,
        message: checked.message!,
        file,
        ...locateKey(index, name, fallbackText),
      });
      continue;
    }
    // A copy without `needs`: Spack's needs are only read as names, and the split writes its own.
    const { needs, ...body } = data[name] as Record<string, unknown>;
    const hash = isRecord(body.variables) ? body.variables.SPACK_JOB_SPEC_DAG_HASH : undefined;
    jobs.push({
      name,
      stageIndex: checked.stageIndex,
      ...(typeof hash === "string" ? { hash } : {}),
      body,
      specNeeds: specNeedNames(needs, keys),
      locate: locator(name, index, fallbackText),
    });
  }
  return { jobs, problems };
}

/**
 * Parses one file `spack ci generate` wrote. Returns the container's jobs, or located problems
 * (not YAML, aliases past the limits, a job without a stage, a stage Spack never writes, no
 * SPACK_ARTIFACTS_ROOT).
 */
export function parseSpackPipeline({ text, file, container }: ParseSpackPipelineOptions): {
  value?: SpackContainerPipeline;
  problems: Problem[];
} {
  const loaded = loadYaml(text, file);
  if (loaded.problem) return { problems: [loaded.problem] };
  const data = loaded.data;
  const index = indexTopLevelKeys(text);
  const aliasProblem = checkAliases(data, file, index, text);
  if (aliasProblem) return { problems: [aliasProblem] };
  if (!isRecord(data)) {
    const message = "expected a mapping of GitLab jobs (the file `spack ci generate` writes)";
    return { problems: [{ code: "SPACK_PIPELINE_INVALID", message, file, ...index.root }] };
  }
  const jobNames = Object.keys(data).filter((key) => !NOT_JOBS.has(key));
  // The text stays in memory only when a key is not in the line index (flow style).
  const fallbackText = jobNames.some((name) => !index.keys.has(name)) ? text : undefined;
  const at = (key: string) => ({ file, ...locateKey(index, key, fallbackText) });
  if (jobNames.length === 0) {
    return {
      problems: [{ code: "SPACK_PIPELINE_INVALID", message: "the file has no job", file, ...index.root }],
    };
  }
  const buildJobs = jobNames.filter((name) => name !== NO_SPECS_JOB);
  // Only `no-specs-to-rebuild`: the whole environment is in the build cache already.
  if (buildJobs.length === 0) return { value: { container, file, variables: {}, jobs: [] }, problems: [] };

  const problems: Problem[] = [];
  if (!Array.isArray(data.stages)) {
    const message = "the file has jobs but no `stages:` list";
    problems.push({ code: "SPACK_PIPELINE_INVALID", message, file, ...index.root });
  }
  const variables: Record<string, string> = {};
  if (isRecord(data.variables)) {
    for (const [name, value] of Object.entries(data.variables)) variables[name] = String(value ?? "");
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
  const read = readJobs(data, buildJobs, file, index, fallbackText);
  problems.push(...read.problems);
  if (problems.length > 0) return { problems };
  return { value: { container, file, variables, jobs: read.jobs }, problems: [] };
}
