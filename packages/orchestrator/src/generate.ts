import { stat } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import {
  architectureTemplates,
  BASE_IMAGE_NAMES,
  type CiContext,
  type ContainerDefinition,
  expandRegistryImage,
  type GitlabJob,
  InputInvalidError,
  JOB_NAMES,
  naturalSort,
  OUT_PATHS,
  type Problem,
  renderPipelineYaml,
  SITE_CONFIG_PATH,
  type SiteConfig,
  shareJobSettings,
  UsageError,
  type Warning,
} from "@spacktainers/core";
import { listFilesRecursive, replaceDirectory } from "@spacktainers/core/node";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import {
  type BaseImageIdentity,
  baseImageJobs,
  type Decision,
  decideBaseImage,
  describeBaseImage,
  type RegistryClient,
} from "@spacktainers/image-builder";
import { buildSpackEnvironments } from "@spacktainers/spack-env-builder";
import { type BaseImageJobs, buildGenerationPipeline, gatherManifest } from "./build-generation-pipeline.js";
import { decideOrBuild } from "./decide-or-build.js";
import { resolveSpackCommit } from "./resolve-spack-commit.js";

/** Stage of base-image jobs in pipeline A. */
const BASE_IMAGES_STAGE = "base images";

export interface GenerateOptions {
  /** Repository root (holds container_definitions/, images/, files/). */
  root: string;
  /** Output folder, relative to `root` or absolute (default `out`). */
  out?: string;
  /** CI context (branch, prod, pipeline id, `now`). */
  context: CiContext;
  /** Registry client for base-image decisions; absent or `context.offline` → every base image is built. */
  registry?: RegistryClient;
}

/** One base image and what this pipeline does about it. */
export type BaseImagePlan = BaseImageIdentity & {
  /** Full image reference used by jobs (`${CI_REGISTRY_IMAGE}/builder:<tag>`). */
  image: string;
  /** Build it in this pipeline, or reuse the existing tag. */
  decision: Decision;
  /** Builder only, in CI: the commit `spack.branch` points to now (its `spack_commit` label). */
  spackCommit?: string;
};

/** What `generate` wrote. */
export type GenerateResult = {
  /** Output folder (absolute). */
  out: string;
  /** Files written, absolute paths, sorted. */
  files: string[];
  /** Active architectures (configured, with definitions). */
  arches: string[];
  /** Definitions of the active arches. */
  definitions: ContainerDefinition[];
  /** Base images and their decisions. */
  baseImages: BaseImagePlan[];
  /** Jobs in pipeline A. */
  jobCount: number;
  /** Warnings of the definitions and environments. */
  warnings: Warning[];
  /** True when registry checks were skipped. */
  offline: boolean;
};

/** Each base image is built from `images/<name>/`; a missing one is bad input, not a crash. */
async function checkBaseImageFolders(root: string): Promise<void> {
  const problems: Problem[] = [];
  for (const name of BASE_IMAGE_NAMES) {
    const folder = `images/${name}`;
    const info = await stat(resolve(root, folder)).catch(() => undefined);
    const empty = info?.isDirectory() && (await listFilesRecursive(resolve(root, folder))).length === 0;
    if (!info?.isDirectory() || empty)
      problems.push({
        code: "BASE_IMAGE_MISSING",
        message: `${folder}/ ${empty ? "holds no file" : info ? "is not a folder" : "does not exist"}: the ${name} base image is built from it`,
        hint: `restore ${folder}/ (its Dockerfile and build inputs) from the spacktainers repository`,
        file: folder,
      });
  }
  if (problems.length > 0) throw new InputInvalidError({ problems });
}

/** The base images of this pipeline: their tags, and whether to build them (all arches at once). */
export async function planBaseImages({
  root,
  config,
  context,
  arches,
  registry,
}: {
  root: string;
  config: SiteConfig;
  context: CiContext;
  arches: string[];
  registry?: RegistryClient | undefined;
}): Promise<{ plans: BaseImagePlan[]; jobs: BaseImageJobs; warnings: Warning[] }> {
  const prefix = config.registry.image_prefix.replace(/\/+$/, "");
  const plans: BaseImagePlan[] = [];
  const jobs: Record<string, GitlabJob> = {};
  const warnings: Warning[] = [];
  // In CI, the commit spack.branch points to now: a moved branch rebuilds the builder (its
  // spack_commit label differs), and the build checks out exactly that commit.
  let spackCommit: string | undefined;
  if (!context.offline)
    try {
      spackCommit = await resolveSpackCommit({
        repository: config.spack.repository,
        ref: config.spack.branch,
      });
    } catch (error) {
      warnings.push({
        file: SITE_CONFIG_PATH,
        code: "SPACK_REF_UNRESOLVED",
        message: `cannot resolve spack.branch ${config.spack.branch}: ${(error as Error).message}. The builder is judged without its Spack commit.`,
      });
    }
  await checkBaseImageFolders(root);
  for (const name of BASE_IMAGE_NAMES) {
    const base = await describeBaseImage({ root, name, config, isProd: context.isProd });
    const image = `${prefix}/${name}:${base.tag}`;
    const commit = name === "builder" && spackCommit ? { spackCommit } : {};
    const decision = await decideOrBuild(() =>
      decideBaseImage({
        ...(registry ? { client: registry } : {}),
        offline: context.offline || !registry,
        base,
        image: `${expandRegistryImage(prefix, context)}/${name}:${base.tag}`,
        arches,
        labelPrefix: config.registry.label_prefix,
        versions: config.versions,
        ...commit,
      }),
    );
    plans.push({ ...base, image, decision, ...commit });
    if (decision.action === "build")
      Object.assign(
        jobs,
        baseImageJobs({ config, context, base, arches, stage: BASE_IMAGES_STAGE, ...commit }),
      );
  }
  const builder = plans.find((plan) => plan.name === "builder")!;
  const builderNeeds =
    builder.decision.action === "build" ? [JOB_NAMES.publishImage("builder", builder.tag)] : [];
  return {
    plans,
    warnings,
    jobs: {
      jobs,
      stages: Object.keys(jobs).length > 0 ? [BASE_IMAGES_STAGE] : [],
      builderImage: Object.fromEntries(arches.map((arch) => [arch, builder.image])),
      builderNeeds: Object.fromEntries(arches.map((arch) => [arch, builderNeeds])),
    },
  };
}

/**
 * `spacktainers generate`: loads and validates the definitions, decides which base images to
 * build, writes one Spack environment per container × arch, child pipeline A and the gather
 * manifest — all at once, or nothing: written into a new folder beside `out` and swapped in, so
 * `out` holds exactly this generation (refused when `out` holds files but no marker of ours).
 * Offline (no CI variables), base images are planned for building with the reason "not checked
 * (offline)".
 */
export async function generate({
  root,
  out: outOption = "out",
  context,
  registry,
}: GenerateOptions): Promise<GenerateResult> {
  const absoluteOut = resolve(root, outOption);
  // Jobs name their artifacts by paths inside the project, so the output must be in the repository.
  const out = relative(resolve(root), absoluteOut);
  if (out === "" || out.startsWith("..") || isAbsolute(out)) {
    throw new UsageError(
      `the output folder ${outOption} must be a folder inside the repository ${root} (jobs pass it as artifacts)`,
    );
  }
  const loaded = await loadDefinitions({ root });
  if (loaded.problems.length > 0 || !loaded.config)
    throw new InputInvalidError({ problems: loaded.problems });
  const config = loaded.config;
  const definitions = loaded.definitions;
  const arches = naturalSort(new Set(definitions.map((definition) => definition.arch)));
  if (arches.length === 0) {
    throw new InputInvalidError({
      problems: [
        {
          code: "NO_DEFINITIONS",
          file: "container_definitions",
          message: "no container definitions found for any configured architecture",
          hint: "add container_definitions/<arch>/<name>.yaml for an architecture of spacktainers.yaml",
        },
      ],
    });
  }
  const {
    plans,
    jobs: baseImages,
    warnings: baseImageWarnings,
  } = await planBaseImages({ root, config, context, arches, registry });
  const builderImage = plans.find((plan) => plan.name === "builder")!.image;
  const environments = await buildSpackEnvironments({
    definitions: definitions.filter((definition) => definition.kind === "spack"),
    config,
    context,
    builderImage,
    root,
  });
  const pipeline = buildGenerationPipeline({ config, definitions, context, baseImages, out });
  const files: Record<string, string> = {
    [OUT_PATHS.generationPipeline]: renderPipelineYaml(
      shareJobSettings(pipeline, { templates: architectureTemplates(config) }),
    ),
    [OUT_PATHS.gatherManifest]: `${JSON.stringify(gatherManifest({ definitions, out }), null, 2)}\n`,
  };
  for (const environment of environments.environments)
    files[`${OUT_PATHS.environments}/${environment.path}`] = environment.yaml;
  // Written beside out/ and swapped in: nothing of an earlier generation (a deleted container's
  // environment, an earlier split) survives. A non-empty out/ we did not write is refused.
  const written = await replaceDirectory({
    dir: absoluteOut,
    files,
    writer: "spacktainers generate",
    displayDir: outOption,
  });
  return {
    out: absoluteOut,
    files: written.sort(),
    arches,
    definitions,
    baseImages: plans,
    jobCount: Object.keys(pipeline.jobs).length,
    warnings: [...loaded.warnings, ...baseImageWarnings, ...environments.warnings],
    offline: context.offline || !registry,
  };
}
