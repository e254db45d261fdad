import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { archFlag, pipelineIdFlag, prepareCommand, rootFlag } from "./preamble.js";

/** `spacktainers split`: one arch's Spack pipelines as child pipelines GitLab accepts. */
export const splitCommand = defineCommand({
  name: "split",
  summary:
    "Split Spack's generated pipelines of one arch into child pipelines GitLab accepts (pipeline A's split job).",
  usage: "split --arch A [--input DIR] [--out DIR] [--pipeline-id ID] [--root DIR] [--json]",
  flags: {
    root: rootFlag,
    arch: archFlag,
    input: {
      type: "string",
      description: "Spack's pipelines, one folder per container (default out/jobs_scratch_dir.<A>)",
      placeholder: "DIR",
    },
    out: { type: "string", description: "output folder (default out/split/<A>)", placeholder: "DIR" },
    "pipeline-id": pipelineIdFlag(
      "id of pipeline A, target of the cross-pipeline needs",
      "split jobs fetch their environments from pipeline A by its id",
    ),
  },
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch } = await prepareCommand(command);
    const { splitArchPipeline } = await import("../split-arch-pipeline.js");
    const result = await splitArchPipeline({
      root,
      arch,
      config,
      definitions,
      input: flags.input ?? `out/${OUT_PATHS.scratch(arch)}`,
      out: flags.out ?? `out/${OUT_PATHS.split(arch)}`,
      pipelineId: flags["pipeline-id"],
    });
    command.warn(result.warnings);
    if (flags.json) command.json({ files: result.files, summary: result.summary ?? null });
    else if (result.summary) {
      const s = result.summary;
      log(
        `spacktainers: ${arch}: ${s.jobsRead} jobs read, ${s.uniqueJobs} unique, ${s.stages} stages, ${s.chunks} child pipelines; largest file ${s.largestFile.path} (${s.largestFile.bytes} bytes)`,
      );
    } else log(`spacktainers: ${arch} has no Spack container: wrote a no-op pipeline`);
    return 0;
  },
});
