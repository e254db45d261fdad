import {
  archRunners,
  type CiContext,
  type ContainerDefinition,
  GITLAB_LIMITS,
  type GitlabJob,
  type GitlabPipeline,
  JOB_NAMES,
  naturalSort,
  OUT_PATHS,
  runnerJob,
  type SiteConfig,
} from "@spacktainers/core";
import { toolsJob } from "./tools-job.js";

/** The base-image jobs of one pipeline, from the image builder's decisions. */
export type BaseImageJobs = {
  /** Jobs that build or publish base images (empty when every base image is up to date). */
  jobs: Record<string, GitlabJob>;
  /** Stages of those jobs, in order. */
  stages: string[];
  /** Per arch: the builder image reference the concretize jobs run in. */
  builderImage: Record<string, string>;
  /** Per arch: jobs a concretize job must wait for (the builder's build/manifest job), if any. */
  builderNeeds: Record<string, string[]>;
};

export interface BuildGenerationPipelineOptions {
  /** Site configuration. */
  config: SiteConfig;
  /** Valid definitions of the active architectures. */
  definitions: ContainerDefinition[];
  /** CI context (for the summary variables only; never the clock). */
  context: CiContext;
  /** Base-image jobs and the builder image of each arch. */
  baseImages: BaseImageJobs;
  /** Output folder of the generate job, relative to the repository (default `out`). */
  out?: string;
}

/**
 * Child pipeline A: base images (only when needed), then per container × arch a
 * `concretize <c> for <arch>` job in the builder image (`spack concretize` + `spack ci
 * generate`), then per arch `split spack pipeline for <arch>` and `plan containers for <arch>`,
 * both reading the same locks — one concretization serves the cache and the image.
 */
export function buildGenerationPipeline({
  config,
  definitions,
  baseImages,
  out = "out",
}: BuildGenerationPipelineOptions): GitlabPipeline {
  const jobs: Record<string, GitlabJob> = { ...baseImages.jobs };
  const arches = naturalSort(new Set(definitions.map((d) => d.arch)));
  const fromGenerate = { pipeline: "$PARENT_PIPELINE_ID", job: JOB_NAMES.generate };
  for (const arch of arches) {
    const archConfig = config.architectures[arch]!;
    const spackDefinitions = definitions.filter((d) => d.arch === arch && d.kind === "spack");
    const concretizeNames: string[] = [];
    for (const definition of spackDefinitions) {
      const name = JOB_NAMES.concretize(definition.name, arch);
      const environment = `${out}/${OUT_PATHS.environments}/${arch}/${definition.name}`;
      const scratch = `${out}/${OUT_PATHS.scratch(arch)}/${definition.name}`;
      concretizeNames.push(name);
      jobs[name] = runnerJob(archRunners(archConfig), {
        stage: "concretize",
        image: { name: baseImages.builderImage[arch]!, pull_policy: "if-not-present" },
        needs: [
          fromGenerate,
          ...(baseImages.builderNeeds[arch] ?? []).map((job) => ({ job, artifacts: false })),
        ],
        variables: { SPACK_ENVIRONMENT_DIR: environment, SPACK_ARTIFACTS_DIR: scratch },
        interruptible: true,
        timeout: "1h",
        script: [
          'spack env activate --without-view "$SPACK_ENVIRONMENT_DIR"',
          "spack concretize --force",
          'spack ci generate --check-index-only --artifacts-root "$SPACK_ARTIFACTS_DIR" --output-file "$SPACK_ARTIFACTS_DIR/pipeline.yml"',
          `spack list > "$SPACK_ENVIRONMENT_DIR/${OUT_PATHS.packageList}"`,
        ],
        artifacts: { paths: [`${environment}/`, `${scratch}/`], expire_in: "1 week", when: "on_success" },
      });
    }
    // GitLab refuses more than 50 needs (generate's output is one of them): past that, the stage
    // order does the waiting. An arch without Spack containers only needs generate's output.
    const waitFor =
      concretizeNames.length > 0 && concretizeNames.length < GITLAB_LIMITS.maxNeedsPerJob
        ? concretizeNames
        : undefined;
    const planNeeds = waitFor
      ? { needs: [fromGenerate, ...waitFor] }
      : spackDefinitions.length === 0
        ? { needs: [fromGenerate] }
        : {};
    jobs[JOB_NAMES.split(arch)] = toolsJob(
      config,
      {
        stage: "plan",
        ...planNeeds,
        script: [
          `pnpm spacktainers split --arch ${arch} --input ${out}/${OUT_PATHS.scratch(arch)} --out ${out}/${OUT_PATHS.split(arch)}`,
        ],
        artifacts: { paths: [`${out}/${OUT_PATHS.split(arch)}/`], expire_in: "1 week" },
      },
      archRunners(archConfig),
    );
    jobs[JOB_NAMES.planContainers(arch)] = toolsJob(
      config,
      {
        stage: "plan",
        ...planNeeds,
        script: [
          `pnpm spacktainers containers --arch ${arch} --environments ${out}/${OUT_PATHS.environments} --out ${out}/${OUT_PATHS.containers(arch)}`,
        ],
        artifacts: { paths: [`${out}/${OUT_PATHS.containers(arch)}/`], expire_in: "1 week" },
      },
      archRunners(archConfig),
    );
  }
  return { stages: [...baseImages.stages, "concretize", "plan"], jobs };
}

/** What the gather job fetches from pipeline A: each job's artifacts, restored at their original paths. */
export function gatherManifest({
  definitions,
  out = "out",
}: {
  definitions: ContainerDefinition[];
  out?: string;
}): {
  bridge: string;
  jobs: Array<{ job: string; paths: string[] }>;
} {
  const arches = naturalSort(new Set(definitions.map((d) => d.arch)));
  const jobs: Array<{ job: string; paths: string[] }> = [];
  for (const arch of arches) {
    jobs.push({ job: JOB_NAMES.split(arch), paths: [`${out}/${OUT_PATHS.split(arch)}/`] });
    jobs.push({ job: JOB_NAMES.planContainers(arch), paths: [`${out}/${OUT_PATHS.containers(arch)}/`] });
  }
  return { bridge: JOB_NAMES.generationTrigger, jobs };
}
