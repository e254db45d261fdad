import { relative, resolve } from "node:path";
import {
  nothingToRebuildPipeline,
  type SplitSummary,
  splitSpackPipeline,
  TRIGGER_PIPELINE_FILE,
  writeSplitOutput,
} from "@spacktainers/ci-splitter";
import {
  type ContainerDefinition,
  JOB_NAMES,
  renderPipelineYaml,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";

export interface SplitArchPipelineOptions {
  /** Repository root (`CI_PROJECT_DIR`): paths in the child YAML are relative to it. */
  root: string;
  /** Architecture. */
  arch: string;
  /** Site configuration. */
  config: SiteConfig;
  /** Definitions of the repository (to know whether the arch has Spack containers at all). */
  definitions: ContainerDefinition[];
  /** `jobs_scratch_dir.<arch>` written by the concretize jobs. */
  input: string;
  /** Output folder of the split pipelines. */
  out: string;
  /** `CI_PIPELINE_ID` of pipeline A. */
  pipelineId: string;
}

/**
 * `spacktainers split`: the ci-splitter with the orchestrator's paths and job names. An arch
 * without Spack containers gets the no-op pipeline, so the parent's static trigger always finds
 * its file. The output folder is replaced whole and stays YAML only (see writeSplitOutput): the
 * split job's artifact is what the gather job republishes for GitLab to include from.
 */
export async function splitArchPipeline(
  options: SplitArchPipelineOptions,
): Promise<{ files: string[]; summary?: SplitSummary; warnings: Warning[] }> {
  const architecture = options.config.architectures[options.arch]!;
  const writer = "spacktainers split";
  const out = resolve(options.root, options.out);
  const hasSpack = options.definitions.some((d) => d.arch === options.arch && d.kind === "spack");
  if (!hasSpack) {
    const text = renderPipelineYaml(nothingToRebuildPipeline({ arch: options.arch, architecture }));
    const files = await writeSplitOutput({
      dir: out,
      files: { [TRIGGER_PIPELINE_FILE]: text },
      writer,
      displayDir: options.out,
    });
    return { files, warnings: [] };
  }
  const result = await splitSpackPipeline({
    arch: options.arch,
    architecture,
    inputDir: resolve(options.root, options.input),
    inputPath: relative(options.root, resolve(options.root, options.input)),
    outputPath: relative(options.root, out),
    pipelineId: options.pipelineId,
    splitJobName: JOB_NAMES.split(options.arch),
    displayInputDir: options.input,
  });
  return {
    files: await writeSplitOutput({ dir: out, files: result.files, writer, displayDir: options.out }),
    summary: result.summary,
    warnings: result.warnings,
  };
}
