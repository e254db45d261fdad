import {
  architectureTemplates,
  archRunners,
  type GitlabPipeline,
  type GitlabRule,
  JOB_NAMES,
  naturalSort,
  OUT_PATHS,
  type SiteConfig,
  shareJobSettings,
  siteDeployRunners,
} from "@spacktainers/core";
import { toolsJob } from "./tools-job.js";

export interface BuildParentPipelineOptions {
  /** The site configuration; every configured architecture gets its jobs. */
  config: SiteConfig;
  /** Output folder of the generate job, relative to the repository (default `out`). */
  out?: string;
}

const ON_DEFAULT_BRANCH = "$CI_COMMIT_REF_NAME == $CI_DEFAULT_BRANCH";
const ON_OTHER_BRANCHES = "$CI_COMMIT_REF_NAME != $CI_DEFAULT_BRANCH";
const IS_MERGE_REQUEST = '$CI_PIPELINE_SOURCE == "merge_request_event"';

/**
 * First rule of every job of a branch pipeline: a merge-request pipeline never builds, pushes
 * or prunes (it checks and plans only).
 */
const NOT_IN_MERGE_REQUESTS: GitlabRule = { if: IS_MERGE_REQUEST, when: "never" };

/** Per-arch jobs run only when the repository has definitions for that arch. */
function archRules(arch: string): GitlabRule[] {
  return [NOT_IN_MERGE_REQUESTS, { exists: [`container_definitions/${arch}/**/*`] }];
}

/**
 * The parent pipeline, the repository's `.gitlab-ci.yml`: generate → trigger
 * pipeline A (base images, concretization, split, container plans) → gather A's artifacts →
 * per arch: populate the build cache (pipeline B) → build containers → prune the cache (after
 * population, on the default branch) — plus removal of deleted branches' SIFs, and the npm
 * release of the tool (default branch, by hand). A merge-request pipeline runs only the checks:
 * the tool's lint, type checks and tests, `validate`, and the plan posted as a note.
 *
 * Credentials never appear here: project CI variables are in every job's environment, and our
 * commands read them by the names the site config gives.
 */
export function buildParentPipeline({ config, out = "out" }: BuildParentPipelineOptions): GitlabPipeline {
  const arches = naturalSort(Object.keys(config.architectures));
  const pipeline: GitlabPipeline = {
    stages: ["check", "generate", "concretize", "gather", "populate", "build", "prune", "release"],
    workflow: {
      // Branch pipelines build; merge-request pipelines check. Both run for a branch with an
      // open merge request: the branch pipeline is the one that publishes its images.
      rules: [{ if: IS_MERGE_REQUEST }, { if: "$CI_COMMIT_BRANCH" }],
    },
    jobs: {
      ...checkAndGenerateJobs(config, out),
      ...Object.assign({}, ...arches.map((arch) => archJobs(config, arch, out))),
      ...maintenanceJobs(config, arches),
    },
  };
  return shareJobSettings(pipeline, { templates: architectureTemplates(config) });
}

type Jobs = GitlabPipeline["jobs"];

/** The checks of merge requests, then generation and gathering (pipeline A and its artifacts). */
function checkAndGenerateJobs(config: SiteConfig, out: string): Jobs {
  return {
    [JOB_NAMES.checkTool]: toolsJob(config, {
      stage: "check",
      needs: [],
      rules: [{ if: IS_MERGE_REQUEST }],
      // Installs the Debian packages the tests need, builds, lints, type-checks and runs every
      // test; its last line is "N passed, N failed".
      timeout: "1h",
      script: [".ci/run"],
    }),
    [JOB_NAMES.checkDefinitions]: toolsJob(config, {
      stage: "check",
      needs: [],
      rules: [{ if: IS_MERGE_REQUEST }],
      script: ["pnpm spacktainers validate", "pnpm spacktainers plan-note"],
    }),
    [JOB_NAMES.generate]: toolsJob(config, {
      stage: "generate",
      rules: [NOT_IN_MERGE_REQUESTS, { when: "on_success" }],
      script: [`pnpm spacktainers generate --out ${out}`],
      artifacts: { paths: [`${out}/`], expire_in: "1 week" },
    }),
    [JOB_NAMES.generationTrigger]: {
      stage: "concretize",
      needs: [JOB_NAMES.generate],
      rules: [NOT_IN_MERGE_REQUESTS, { when: "on_success" }],
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
      rules: [NOT_IN_MERGE_REQUESTS, { when: "on_success" }],
      script: [`pnpm spacktainers gather --out ${out}`],
      artifacts: { paths: OUT_PATHS.gatherArtifacts.map((path) => `${out}/${path}`), expire_in: "1 week" },
    }),
  };
}

/** One arch's jobs: populate the build cache, build the containers, prune the cache(s). */
function archJobs(config: SiteConfig, arch: string, out: string): Jobs {
  const archConfig = config.architectures[arch]!;
  const jobs: Jobs = {};
  jobs[JOB_NAMES.populate(arch)] = {
    stage: "populate",
    needs: [JOB_NAMES.gather],
    rules: archRules(arch),
    trigger: {
      include: [{ artifact: `${out}/${OUT_PATHS.split(arch)}/pipeline.yml`, job: JOB_NAMES.gather }],
      strategy: "depend",
    },
    variables: { PARENT_PIPELINE_ID: "$CI_PIPELINE_ID" },
  };
  jobs[JOB_NAMES.buildContainers(arch)] = {
    stage: "build",
    needs: [JOB_NAMES.gather, JOB_NAMES.populate(arch)],
    rules: archRules(arch),
    trigger: {
      include: [{ artifact: `${out}/${OUT_PATHS.containers(arch)}/pipeline.yml`, job: JOB_NAMES.gather }],
      strategy: "depend",
    },
    variables: { PARENT_PIPELINE_ID: "$CI_PIPELINE_ID" },
  };
  // After population and the image builds, never before: a spec pushed by this pipeline is
  // protected by its lock, and the janitor never treats objects newer than its start as orphans.
  // It fetches the locks itself (`gather` again): the gather artifact is YAML-only.
  const pruneJob = (command: "prune" | "prune-branch-cache", refs: string, resourceGroup: string) =>
    toolsJob(
      config,
      {
        stage: "prune",
        needs: [JOB_NAMES.generate, JOB_NAMES.populate(arch), JOB_NAMES.buildContainers(arch)],
        rules: [NOT_IN_MERGE_REQUESTS, { if: refs, exists: [`container_definitions/${arch}/**/*`] }],
        resource_group: `${resourceGroup}-${arch}`,
        interruptible: false,
        script: [
          `pnpm spacktainers gather --out ${out}`,
          `pnpm spacktainers ${command} --arch ${arch} --locks ${out}/${OUT_PATHS.containers(arch)} --report ${out}/prune-${arch}.json --apply`,
        ],
        artifacts: { paths: [`${out}/prune-${arch}.json`], when: "always", expire_in: "1 month" },
      },
      archRunners(archConfig),
    );
  jobs[JOB_NAMES.prune(arch)] = pruneJob("prune", ON_DEFAULT_BRANCH, "prune-build-cache");
  // With a separate prod bucket, branches share the `name` bucket, which the default branch's
  // prune never sees: each branch pipeline prunes it, keeping what live branches use.
  if (archConfig.cache_bucket.prod_name)
    jobs[JOB_NAMES.pruneBranchCache(arch)] = pruneJob(
      "prune-branch-cache",
      ON_OTHER_BRANCHES,
      "prune-branch-cache",
    );
  return jobs;
}

/** SIF clean-up and site sync, then the release of the tool. */
function maintenanceJobs(config: SiteConfig, arches: string[]): Jobs {
  const jobs: Jobs = {};
  jobs[JOB_NAMES.removeSifs] = toolsJob(config, {
    stage: "prune",
    needs: [],
    rules: [NOT_IN_MERGE_REQUESTS, { if: ON_DEFAULT_BRANCH }],
    resource_group: "remove-stale-sifs",
    interruptible: false,
    script: ["pnpm spacktainers remove-stale-sifs --apply"],
  });
  if (config.sif_deploy)
    jobs[JOB_NAMES.syncSiteSifs] = toolsJob(
      config,
      {
        stage: "prune",
        // On the site runner, in every branch pipeline, after this pipeline's uploads: a lost or
        // outdated site copy is restored even when nothing was rebuilt (the original checked the
        // site copy in every pipeline), and deleted branches' SIFs leave the site.
        needs: arches.map((arch) => ({ job: JOB_NAMES.buildContainers(arch), optional: true })),
        rules: [NOT_IN_MERGE_REQUESTS, { when: "on_success" }],
        resource_group: "sync-site-sifs",
        interruptible: false,
        script: ["pnpm spacktainers sync-site-sifs --apply"],
      },
      siteDeployRunners(config, config.sif_deploy),
    );
  jobs[JOB_NAMES.release] = toolsJob(config, {
    stage: "release",
    needs: [],
    // By hand, on the default branch: versions from the pending changesets, a version commit
    // pushed back, then npm publish of what the registry lacks (docs/releasing.md).
    rules: [NOT_IN_MERGE_REQUESTS, { if: ON_DEFAULT_BRANCH, when: "manual", allow_failure: true }],
    resource_group: "npm-release",
    interruptible: false,
    script: ["pnpm release"],
  });
  return jobs;
}

/**
 * The jobs of the parent pipeline that a merge-request pipeline, or a branch pipeline, runs (by
 * their first rule, the way {@link buildParentPipeline} writes them), for the graph.
 */
export function parentPipelineFor(
  pipeline: GitlabPipeline,
  source: "branch" | "merge-request",
): GitlabPipeline {
  const jobs = Object.entries(pipeline.jobs).filter(([, job]) => {
    const first = job.rules?.[0];
    const mergeRequestOnly = first?.if === IS_MERGE_REQUEST && first.when === undefined;
    return source === "merge-request" ? mergeRequestOnly : !mergeRequestOnly;
  });
  const used = new Set(jobs.map(([, job]) => job.stage));
  return {
    ...pipeline,
    stages: pipeline.stages?.filter((stage) => used.has(stage)),
    jobs: Object.fromEntries(jobs),
  };
}
