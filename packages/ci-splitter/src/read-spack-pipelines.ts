import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { naturalCompare, type Problem } from "@spacktainers/core";
import { parseSpackPipeline, type SpackContainerPipeline } from "./parse-spack-pipeline.js";

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
