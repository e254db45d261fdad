import { open, readdir, stat } from "node:fs/promises";
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

/** The text of a pipeline file, or the problem of one over {@link SPACK_PIPELINE_LIMITS}. */
async function readPipelineText(path: string, file: string): Promise<{ text?: string; problem?: Problem }> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
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
    return { text: await handle.readFile("utf8") };
  } finally {
    await handle.close();
  }
}

/** The container folders of the input directory in natural order, or the problem with it. */
async function listContainerFolders(
  inputDir: string,
  displayDir: string,
): Promise<{ folders?: string[]; problem?: Problem }> {
  let folders: string[];
  try {
    const info = await stat(inputDir);
    if (!info.isDirectory()) {
      return {
        problem: { code: "INPUT_NOT_A_DIRECTORY", message: "the input is not a directory", file: displayDir },
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
 * problems).
 */
export async function visitSpackPipelines(
  { inputDir, displayDir = inputDir }: ReadSpackPipelinesOptions,
  visit: (pipeline: SpackContainerPipeline) => void,
): Promise<Problem[]> {
  const listed = await listContainerFolders(inputDir, displayDir);
  if (!listed.folders) return [listed.problem!];
  const problems: Problem[] = [];
  for (const container of listed.folders) {
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
    const read = await readPipelineText(join(dir, name), file);
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
