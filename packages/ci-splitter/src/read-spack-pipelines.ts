import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatBytes, naturalCompare, type Problem } from "@spacktainers/core";
import { parseSpackPipeline, type SpackContainerPipeline } from "./parse-spack-pipeline.js";
import { SPACK_PIPELINE_LIMITS } from "./split-defaults.js";

/** Names Spack gives the file `spack ci generate --output-file` writes, tried in this order. */
export const PIPELINE_FILE_NAMES = ["pipeline.yml", "pipeline.yaml"] as const;

/** Files of a container folder that are never the pipeline file. */
const NOT_PIPELINE_FILES = new Set(["spack.yaml", "spack.yml"]);

export interface ReadSpackPipelinesOptions {
  /** `jobs_scratch_dir.<arch>/`: one folder per container. */
  inputDir: string;
  /** How `inputDir` is shown in messages (default: as given). */
  displayDir?: string;
}

function findPipelineFile(dir: string): { name?: string; candidates: string[] } {
  const entries = readdirSync(dir, { withFileTypes: true });
  const yamlFiles = entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name) && !NOT_PIPELINE_FILES.has(entry.name))
    .map((entry) => entry.name)
    .sort(naturalCompare);
  for (const name of PIPELINE_FILE_NAMES)
    if (yamlFiles.includes(name)) return { name, candidates: yamlFiles };
  // Any single other YAML file is Spack's output under another --output-file name.
  return yamlFiles.length === 1 ? { name: yamlFiles[0], candidates: yamlFiles } : { candidates: yamlFiles };
}

/** The text of a pipeline file, or the problem of one over {@link SPACK_PIPELINE_LIMITS}. */
function readPipelineText(path: string, file: string): { text?: string; problem?: Problem } {
  const fd = openSync(path, "r");
  try {
    const { size } = fstatSync(fd);
    if (size > SPACK_PIPELINE_LIMITS.fileBytes) {
      return {
        problem: {
          code: "SPACK_PIPELINE_TOO_LARGE",
          message: `the file is ${formatBytes(size)}, over the limit of ${formatBytes(SPACK_PIPELINE_LIMITS.fileBytes)} for one container's pipeline (about 45,000 jobs)`,
          hint: "check that this is the file `spack ci generate` wrote for one container",
          file,
        },
      };
    }
    return { text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

/** The container folders of the input directory in natural order, or the problem with it. */
function listContainerFolders(
  inputDir: string,
  displayDir: string,
): { folders?: string[]; problem?: Problem } {
  let folders: string[];
  try {
    const info = statSync(inputDir);
    if (!info.isDirectory()) {
      return {
        problem: { code: "INPUT_NOT_A_DIRECTORY", message: "the input is not a directory", file: displayDir },
      };
    }
    const entries = readdirSync(inputDir, { withFileTypes: true });
    folders = entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
      .map((entry) => entry.name)
      .sort(naturalCompare);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return {
      problem: {
        code: "INPUT_MISSING",
        message: "the input directory does not exist",
        hint: "pass the jobs_scratch_dir.<arch> directory that the concretize jobs' artifacts fill",
        file: displayDir,
      },
    };
  }
  if (folders.length > 0) return { folders };
  return {
    problem: {
      code: "INPUT_EMPTY",
      message: "the input directory has no container folder (expected <container>/pipeline.yml)",
      file: displayDir,
    },
  };
}

/**
 * Reads `jobs_scratch_dir.<arch>/<container>/<pipeline file>` for every container folder, in
 * natural order of the container names, and hands each parsed pipeline to `visit` as soon as it
 * is read, so a caller that keeps only part of it never holds every file's jobs at once. After
 * the first problem, pipelines are still read for their problems but no longer visited. Returns
 * every problem (a missing or empty directory, a folder without a pipeline file, each file's own
 * problems). Files are read synchronously: parsing them is the work and nothing runs beside it,
 * and each asynchronous read was a round trip through libuv's thread pool with the process idle
 * (about 40 ms over 20 files).
 */
export async function visitSpackPipelines(
  { inputDir, displayDir = inputDir }: ReadSpackPipelinesOptions,
  visit: (pipeline: SpackContainerPipeline) => void,
): Promise<Problem[]> {
  const listed = listContainerFolders(inputDir, displayDir);
  if (!listed.folders) return [listed.problem!];
  const problems: Problem[] = [];
  for (const container of listed.folders) {
    const dir = join(inputDir, container);
    const { name, candidates } = findPipelineFile(dir);
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
    const read = readPipelineText(join(dir, name), file);
    if (read.problem) {
      problems.push(read.problem);
      continue;
    }
    const parsed = parseSpackPipeline({ text: read.text!, file, container });
    problems.push(...parsed.problems);
    if (parsed.value && problems.length === 0) visit(parsed.value);
  }
  return problems;
}

/**
 * Reads every container's pipeline ({@link visitSpackPipelines}) and returns them all, or every
 * problem found.
 */
export async function readSpackPipelines(
  options: ReadSpackPipelinesOptions,
): Promise<{ value?: SpackContainerPipeline[]; problems: Problem[] }> {
  const pipelines: SpackContainerPipeline[] = [];
  const problems = await visitSpackPipelines(options, (pipeline) => pipelines.push(pipeline));
  if (problems.length > 0) return { problems };
  return { value: pipelines, problems: [] };
}
