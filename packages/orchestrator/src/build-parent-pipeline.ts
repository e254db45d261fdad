import {
  architectureTemplates,
  type GitlabPipeline,
  type GitlabRule,
  naturalSort,
  type SiteConfig,
  shareJobSettings,
} from "@spacktainers/core";
import { JOB_NAMES, OUT_PATHS } from "./job-names.js";
import { toolsJob } from "./tools-job.js";

export interface BuildParentPipelineOptions {
  /** The site configuration; every configured architecture gets its jobs. */
  config: SiteConfig;
  /** Output folder of the generate job, relative to the repository (default `out`). */
  out?: string;
}

const ON_DEFAULT_BRANCH = "$CI_COMMIT_REF_NAME == $CI_DEFAULT_BRANCH";

/** Per-arch jobs run only when the repository has definitions for that arch. */
function archRules(arch: string): GitlabRule[] {
  return [{ exists: [`container_definitions/${arch}/**/*`] }];
}

/**
 * The parent pipeline, the repository's `.gitlab-ci.yml`: generate → trigger
 * pipeline A (base images, concretization, split, container plans) → gather A's artifacts →
 * per arch: populate the build cache (pipeline B) → build containers → prune the cache (after
 * population, on the default branch) — plus removal of deleted branches' SIFs.
 *
 * Credentials never appear here: project CI variables are in every job's environment, and our
 * commands read them by the names the site config gives.
 */
export function buildParentPipeline({ config, out = "out" }: BuildParentPipelineOptions): GitlabPipeline {
  const arches = naturalSort(Object.keys(config.architectures));

  const pipeline: GitlabPipeline = {
    stages: ["generate", "concretize", "gather", "populate", "build", "prune"],
    workflow: {
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: "never" },
        { if: "$CI_COMMIT_BRANCH" },
      ],
    },
    jobs: {
      [JOB_NAMES.generate]: toolsJob(config, {
        stage: "generate",
        script: [`pnpm spacktainers generate --out ${out}`],
        artifacts: { paths: [`${out}/`], expire_in: "1 week" },
      }),
      [JOB_NAMES.generationTrigger]: {
        stage: "concretize",
        needs: [JOB_NAMES.generate],
        trigger: {
          include: [{ artifact: `${out}/${OUT_PATHS.generationPipeline}`, job: JOB_NAMES.generate }],
          strategy: "depend",
        },
        variables: { PARENT_PIPELINE_ID: "$CI_PIPELINE_ID" },
      },
      // No `needs`: the stage order makes it wait for pipeline A, whose artifacts it fetches
      // through the API (GitLab cannot hand a child's artifacts to its parent) and restores at
      // their original paths, so child pipelines include them as artifacts of this job.
      [JOB_NAMES.gather]: toolsJob(config, {
        stage: "gather",
        dependencies: [JOB_NAMES.generate],
        script: [`pnpm spacktainers gather --out ${out}`],
        artifacts: { paths: OUT_PATHS.gatherArtifacts.map((path) => `${out}/${path}`), expire_in: "1 week" },
      }),
    },
  };
  for (const arch of arches) {
    const archConfig = config.architectures[arch]!;
    pipeline.jobs[JOB_NAMES.populate(arch)] = {
      stage: "populate",
      needs: [JOB_NAMES.gather],
      rules: archRules(arch),
      trigger: {
        include: [{ artifact: `${out}/${OUT_PATHS.split(arch)}/pipeline.yml`, job: JOB_NAMES.gather }],
        strategy: "depend",
      },
      variables: { PARENT_PIPELINE_ID: "$CI_PIPELINE_ID" },
    };
    pipeline.jobs[JOB_NAMES.buildContainers(arch)] = {
      stage: "build",
      needs: [JOB_NAMES.gather, JOB_NAMES.populate(arch)],
      rules: archRules(arch),
      trigger: {
        include: [{ artifact: `${out}/${OUT_PATHS.containers(arch)}/pipeline.yml`, job: JOB_NAMES.gather }],
        strategy: "depend",
      },
      variables: { PARENT_PIPELINE_ID: "$CI_PIPELINE_ID" },
    };
    pipeline.jobs[JOB_NAMES.prune(arch)] = toolsJob(
      config,
      {
        stage: "prune",
        // After population and the image builds, never before: a spec pushed by this pipeline is
        // protected by its lock, and the janitor never treats objects newer than its start as orphans.
        // It fetches the locks itself (`gather` again): the gather artifact is YAML-only.
        needs: [JOB_NAMES.generate, JOB_NAMES.populate(arch), JOB_NAMES.buildContainers(arch)],
        rules: [{ if: ON_DEFAULT_BRANCH, exists: [`container_definitions/${arch}/**/*`] }],
        resource_group: `prune-build-cache-${arch}`,
        interruptible: false,
        script: [
          `pnpm spacktainers gather --out ${out}`,
          `pnpm spacktainers prune --arch ${arch} --locks ${out}/${OUT_PATHS.containers(arch)} --report ${out}/prune-${arch}.json --apply`,
        ],
        artifacts: { paths: [`${out}/prune-${arch}.json`], when: "always", expire_in: "1 month" },
      },
      archConfig,
    );
  }
  pipeline.jobs[JOB_NAMES.removeSifs] = toolsJob(config, {
    stage: "prune",
    needs: [],
    rules: [{ if: ON_DEFAULT_BRANCH }],
    resource_group: "remove-stale-sifs",
    interruptible: false,
    script: ["pnpm spacktainers remove-stale-sifs --apply"],
  });
  return shareJobSettings(pipeline, { templates: architectureTemplates(config) });
}
