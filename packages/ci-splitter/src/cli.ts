import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import {
  type CliSpec,
  choiceFlag,
  credentialVariableNames,
  defineCommand,
  type FlagTable,
  InputInvalidError,
  numberFlag,
  parseSiteConfig,
  SITE_CONFIG_PATH,
  UsageError,
} from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { SPLIT_DEFAULTS, SPLIT_OPTION_RANGES } from "./split-defaults.js";
import { splitSpackPipeline } from "./split-spack-pipeline.js";
import { summarizeWarnings } from "./summarize-warnings.js";
import { writeSplitOutput } from "./write-split-output.js";

const PROGRAM = "spacktainers-ci-split";

// Outside the flag table: a generic call inside it stops TypeScript inferring the table's types.
const parsePullPolicy = choiceFlag(["always", "if-not-present"]);

const flags = {
  arch: {
    type: "string",
    description: "architecture to split (a key of architectures: in the site config)",
    placeholder: "ARCH",
    required: true,
  },
  input: {
    type: "string",
    description:
      "directory with one folder per container holding Spack's pipeline.yml (default jobs_scratch_dir.<ARCH>)",
    placeholder: "DIR",
  },
  out: {
    type: "string",
    description:
      "output directory (pipeline.yml + chunks/), replaced whole; refused when it holds other files",
    placeholder: "DIR",
    required: true,
  },
  root: {
    type: "string",
    description: "repository root holding container_definitions/spacktainers.yaml",
    placeholder: "DIR",
    env: "CI_PROJECT_DIR",
  },
  config: {
    type: "string",
    description: `site configuration (default <root>/${SITE_CONFIG_PATH})`,
    placeholder: "FILE",
  },
  "pipeline-id": {
    type: "string",
    description:
      "id of the pipeline running the concretize jobs and this split (target of cross-pipeline needs)",
    placeholder: "ID",
    env: "CI_PIPELINE_ID",
    required: "the id of the pipeline running the concretize jobs",
    parse: (text: string) => {
      if (text.trim() === "") throw new Error(`takes the id of a pipeline, got ${JSON.stringify(text)}`);
      return text;
    },
  },
  "max-jobs": {
    type: "string",
    description: "jobs per child pipeline",
    placeholder: "N",
    default: String(SPLIT_DEFAULTS.maxJobs),
    parse: numberFlag(SPLIT_OPTION_RANGES.maxJobs),
  },
  "max-bytes": {
    type: "string",
    description: "bytes of YAML per file",
    placeholder: "B",
    default: String(SPLIT_DEFAULTS.maxBytes),
    parse: numberFlag(SPLIT_OPTION_RANGES.maxBytes),
  },
  "max-needs": {
    type: "string",
    description: "needs per job (GitLab allows 50)",
    placeholder: "N",
    default: String(SPLIT_DEFAULTS.maxNeeds),
    parse: numberFlag(SPLIT_OPTION_RANGES.maxNeeds),
  },
  timeout: {
    type: "string",
    description: "timeout of build jobs",
    placeholder: "DURATION",
    default: SPLIT_DEFAULTS.timeout,
  },
  "pull-policy": {
    type: "string",
    description: "image pull policy of build jobs: always or if-not-present",
    placeholder: "POLICY",
    default: SPLIT_DEFAULTS.pullPolicy,
    parse: parsePullPolicy,
  },
  "input-path": {
    type: "string",
    description:
      "where --input is inside CI_PROJECT_DIR of the build jobs (default: --input relative to the working directory)",
    placeholder: "PATH",
  },
  "output-path": {
    type: "string",
    description: "where --out is inside CI_PROJECT_DIR (default: --out relative to the working directory)",
    placeholder: "PATH",
  },
  "split-job": {
    type: "string",
    description:
      "name of the job running this split, whose artifacts hold --out (default 'split spack pipeline for <ARCH>')",
    placeholder: "NAME",
  },
  report: {
    type: "string",
    description: "also write the JSON result (summary and every warning) to this file",
    placeholder: "FILE",
  },
  json: { type: "boolean", description: "machine-readable result on stdout (summary and every warning)" },
} as const satisfies FlagTable;

/** `path` relative to `cwd` with `/` separators, or undefined when it is outside. */
function insidePath(cwd: string, path: string): string | undefined {
  const rel = relative(cwd, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split(sep).join("/");
}

const split = defineCommand({
  name: "",
  summary: "split Spack's generated pipelines of one architecture into child pipelines GitLab accepts",
  usage:
    "--arch ARCH --out DIR [--input DIR] [--root DIR] [--max-jobs N] [--max-bytes B] [--report FILE] [--json]",
  details: [
    "Reads <input>/<container>/pipeline.yml for every container (what `spack ci generate` wrote),",
    "keeps one job per spec in its earliest stage, and writes <out>/pipeline.yml (the trigger",
    "pipeline: a collect job, one `strategy: depend` trigger per chunk, stage after stage, then",
    "rebuild-index) and <out>/chunks/stage-<N>[-<k>].yml.",
    "The output is written into a new folder beside <out> and swapped in: nothing of an earlier run",
    "survives, and a failed run leaves <out> as it was. <out> must be new, empty, or hold only",
    "pipeline.yml and chunks/*.yml; any other folder is refused (exit 2), never emptied.",
    "Warnings are summarised on stderr, one line per kind with its first examples; --json and",
    "--report FILE hold every one.",
    "Build jobs need `concretize <container> for <ARCH>` of pipeline --pipeline-id for their",
    "concrete environment, found under <input-path>/<container>/.",
  ].join("\n"),
  flags,
  async run(context) {
    const { flags: values, cwd } = context;
    const { arch, "pipeline-id": pipelineId } = values;

    const root = resolve(cwd, values.root ?? ".");
    const configPath = values.config ? resolve(cwd, values.config) : resolve(root, SITE_CONFIG_PATH);
    const configShown = values.config ?? SITE_CONFIG_PATH;
    let configText: string;
    try {
      configText = await readFile(configPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      throw new InputInvalidError({
        problems: [
          { code: "CONFIG_MISSING", message: "the site configuration does not exist", file: configShown },
        ],
      });
    }
    const config = parseSiteConfig({ text: configText, file: configShown });
    if (!config.value) throw new InputInvalidError({ problems: config.problems, code: "CONFIG_INVALID" });
    context.maskVariables(credentialVariableNames(config.value));
    const architecture = config.value.architectures[arch];
    if (!architecture) {
      throw new UsageError(
        `architecture "${arch}" is not configured in ${configShown} (configured: ${Object.keys(config.value.architectures).join(", ")})`,
      );
    }

    const inputGiven = values.input ?? `jobs_scratch_dir.${arch}`;
    const inputDir = resolve(cwd, inputGiven);
    const outDir = resolve(cwd, values.out);
    const inputPath = values["input-path"] ?? insidePath(cwd, inputDir) ?? `jobs_scratch_dir.${arch}`;
    const outputPath = values["output-path"] ?? insidePath(cwd, outDir);
    if (!outputPath)
      throw new UsageError(
        "--out is outside the working directory; give --output-path (its path inside CI_PROJECT_DIR)",
      );

    const result = await splitSpackPipeline({
      arch,
      architecture,
      inputDir,
      displayInputDir: inputGiven.replace(/\/+$/, ""),
      inputPath,
      outputPath,
      pipelineId,
      maxJobs: values["max-jobs"],
      maxBytes: values["max-bytes"],
      maxNeeds: values["max-needs"],
      timeout: values.timeout,
      pullPolicy: values["pull-policy"],
      ...(values["split-job"] ? { splitJobName: values["split-job"] } : {}),
    });
    await writeSplitOutput({ dir: outDir, files: result.files, writer: PROGRAM, displayDir: values.out });
    const { summary } = result;
    const report = { ...summary, warnings: result.warnings };
    if (values.report)
      await writeFileAtomic(
        resolve(cwd, values.report),
        `${context.mask(JSON.stringify(report, null, 2))}\n`,
      );
    const fullList = values.report ? values.report : "--json or --report FILE";
    for (const line of summarizeWarnings(result.warnings, { fullListHint: fullList })) context.log(line);
    if (values.json) {
      context.json(report);
    } else {
      context.log(
        `${arch}: ${summary.jobsRead} jobs read from ${summary.containers} containers, ${summary.uniqueJobs} unique, ` +
          `${summary.stages} stages, ${summary.chunks} child pipelines; largest file ${summary.largestFile.path} ` +
          `(${summary.largestFile.bytes} bytes); written to ${values.out}`,
      );
    }
    return 0;
  },
});

/** The `spacktainers-ci-split` CLI. */
export const cli: CliSpec = {
  name: PROGRAM,
  version: "0.1.0",
  description: "Splits the pipelines `spack ci generate` wrote into child pipelines a stock GitLab accepts.",
  commands: [split],
};
