import {
  type ArchitectureConfig,
  checkPipeline,
  GITLAB_LIMITS,
  type GitlabImage,
  type GitlabNeed,
  type GitlabPipeline,
  type GitlabScriptJob,
  type GitlabTriggerJob,
  InputInvalidError,
  infrastructureRetry,
  naturalCompare,
  type Problem,
  renderPipelineYaml,
  renderYaml,
  SpacktainersError,
  sha256Hex,
  type Warning,
} from "@spacktainers/core";
import { readSpackPipelines, type SpackContainerPipeline, type SpackJob } from "./read-spack-pipelines.js";
import { orderJobKeys, renderJobYaml } from "./render-jobs-fast.js";

/** Defaults of the budgets (GitLab limits with a wide margin; DESIGN §7). */
export const SPLIT_DEFAULTS = {
  /** Jobs per child pipeline file. */
  maxJobs: 500,
  /** Bytes of YAML per file on disk (GitLab's 2 MB limit is measured in memory, several times larger). */
  maxBytes: 512 * 1024,
  /** `needs:` entries per job (GitLab: 50). */
  maxNeeds: GITLAB_LIMITS.maxNeedsPerJob,
  /** Characters of a job name (GitLab: 255). */
  maxNameLength: GITLAB_LIMITS.maxJobNameLength,
  /** Uncompressed bytes of child YAML one collect job republishes (GitLab: a 5 MB archive). */
  maxArtifactBytes: GITLAB_LIMITS.maxChildArtifactBytes,
  /** Timeout of a build job. */
  timeout: "4h",
  /** Image pull policy of build jobs. */
  pullPolicy: "always",
} as const;

/** Path of the trigger pipeline inside the output directory. */
export const TRIGGER_PIPELINE_FILE = "pipeline.yml";

/**
 * The trigger pipeline when an arch has nothing to rebuild (every spec is in the cache, or the
 * arch has no Spack container): one no-op job, so the parent's trigger still finds a valid file.
 */
export function nothingToRebuildPipeline({
  arch,
  architecture,
}: {
  arch: string;
  architecture: ArchitectureConfig;
}): GitlabPipeline {
  return {
    stages: ["build"],
    jobs: {
      [`nothing to rebuild for ${arch}`]: {
        stage: "build",
        tags: [...architecture.runner_tags],
        ...(Object.keys(architecture.variables).length > 0
          ? { variables: { ...architecture.variables } }
          : {}),
        interruptible: true,
        timeout: "10m",
        retry: infrastructureRetry(),
        script: [`echo "Every spec of ${arch} is in the build cache already; nothing to rebuild."`],
      },
    },
  };
}

export interface SplitSpackPipelineOptions {
  /** Architecture name, e.g. `amd64`. */
  arch: string;
  /** The arch's site configuration (runner tags, variables, cache bucket credentials). */
  architecture: ArchitectureConfig;
  /** `jobs_scratch_dir.<arch>/` on disk: one folder per container. */
  inputDir: string;
  /**
   * Where the input directory is inside `CI_PROJECT_DIR` of the build jobs, i.e. where the
   * concretize jobs' artifacts land (default `jobs_scratch_dir.<arch>`). Each job's
   * SPACK_ARTIFACTS_ROOT becomes `<inputPath>/<container>`.
   */
  inputPath?: string;
  /** Where the output directory is inside `CI_PROJECT_DIR` (paths of the child YAML artifacts). */
  outputPath: string;
  /**
   * `CI_PIPELINE_ID` of the pipeline that runs the concretize jobs and this split (child
   * pipeline A): the target of every cross-pipeline need.
   */
  pipelineId: string;
  /** Name of the job that runs the split (its artifacts hold our output). Default `split spack pipeline for <arch>`. */
  splitJobName?: string;
  /** Max jobs per child pipeline. */
  maxJobs?: number;
  /** Max bytes of YAML per file. */
  maxBytes?: number;
  /** Max `needs:` per job. */
  maxNeeds?: number;
  /** Max characters of a job name; longer Spack names are shortened with a hash suffix. */
  maxNameLength?: number;
  /** Max uncompressed bytes of child YAML per collect job's artifacts. */
  maxArtifactBytes?: number;
  /** Timeout of build jobs (GitLab duration, e.g. `4h`). */
  timeout?: string;
  /** Image pull policy of build jobs. */
  pullPolicy?: "always" | "if-not-present";
  /** How the input directory is named in messages (default: `inputDir`). */
  displayInputDir?: string;
}

/** One file written. */
export type SplitFile = {
  /** Path relative to the output directory. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** Jobs in it. */
  jobs: number;
};

/** What the split did. */
export type SplitSummary = {
  arch: string;
  /** Container folders read. */
  containers: number;
  /** Containers with at least one spec to rebuild. */
  containersWithJobs: number;
  /** Build jobs read over all files (a spec shared by N containers counts N times). */
  jobsRead: number;
  /** Build jobs after merging same-named jobs. */
  uniqueJobs: number;
  /** Stages with jobs. */
  stages: number;
  /** Child pipelines (one or more per stage). */
  chunks: number;
  /** Every file, the trigger pipeline first, then chunks in order. */
  files: SplitFile[];
  /** The largest file. */
  largestFile: SplitFile;
};

/** Result of {@link splitSpackPipeline}. */
export type SplitSpackPipelineResult = {
  /** Path (relative to the output directory) → YAML text. */
  files: Record<string, string>;
  summary: SplitSummary;
  warnings: Warning[];
};

/** A merged job: the copy kept plus what its other copies contribute. */
type MergedJob = {
  name: string;
  kept: SpackJob;
  pipeline: SpackContainerPipeline;
  /** Spack's needs on other build jobs, over all copies. */
  specNeeds: Set<string>;
  /** Final stage index (≥ the earliest stage Spack gave it, and after every dependency). */
  level: number;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function specNeedNames(job: SpackJob): string[] {
  const needs = Array.isArray(job.body.needs) ? job.body.needs : [];
  const names: string[] = [];
  for (const need of needs) {
    if (typeof need === "string") names.push(need);
    // A need with `pipeline:` is Spack's need on its own generate job; ours replaces it.
    else if (isRecord(need) && typeof need.job === "string" && need.pipeline === undefined)
      names.push(need.job);
  }
  return names;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rewrites paths under Spack's artifacts root (`jobs_scratch_dir`) to where this container's
 * concretize artifacts land (`jobs_scratch_dir.<arch>/<container>`). Spack 0.19 scripts use
 * `${SPACK_CONCRETE_ENV_DIR}`, 0.23+ write the literal `cd jobs_scratch_dir/concrete_environment`.
 */
function createRebase(oldRoot: string, newRoot: string): (text: string) => string {
  if (oldRoot === newRoot) return (text) => text;
  const pattern = new RegExp(`(^|[\\s'"=:])${escapeRegExp(oldRoot)}(?=$|[/\\s'"])`, "g");
  return (text) => text.replace(pattern, (_, before: string) => `${before}${newRoot}`);
}

function toImage(image: unknown, pullPolicy: "always" | "if-not-present"): GitlabImage | undefined {
  if (typeof image === "string") return { name: image, pull_policy: pullPolicy };
  if (isRecord(image) && typeof image.name === "string") {
    return { ...(image as { name: string }), pull_policy: pullPolicy };
  }
  return undefined;
}

function rebaseList(value: unknown, rebase: (text: string) => string): string[] | undefined {
  return Array.isArray(value) ? value.map((line) => rebase(String(line))) : undefined;
}

/**
 * Turns the pipelines `spack ci generate` wrote for every container of one arch into child
 * pipelines a stock GitLab accepts: one job per spec (kept in its earliest stage), one or more
 * child pipelines per stage under the budgets, and a trigger pipeline that runs them stage after
 * stage (`strategy: depend`, so a failed stage stops the chain) and `rebuild-index` last.
 * Throws {@link InputInvalidError} listing every problem of the input.
 */
export async function splitSpackPipeline(
  options: SplitSpackPipelineOptions,
): Promise<SplitSpackPipelineResult> {
  const arch = options.arch;
  const maxJobs = options.maxJobs ?? SPLIT_DEFAULTS.maxJobs;
  const maxBytes = options.maxBytes ?? SPLIT_DEFAULTS.maxBytes;
  const maxNeeds = Math.min(options.maxNeeds ?? SPLIT_DEFAULTS.maxNeeds, GITLAB_LIMITS.maxNeedsPerJob);
  const maxNameLength = Math.min(
    options.maxNameLength ?? SPLIT_DEFAULTS.maxNameLength,
    GITLAB_LIMITS.maxJobNameLength,
  );
  const maxArtifactBytes = options.maxArtifactBytes ?? SPLIT_DEFAULTS.maxArtifactBytes;
  const pullPolicy = options.pullPolicy ?? SPLIT_DEFAULTS.pullPolicy;
  const timeout = options.timeout ?? SPLIT_DEFAULTS.timeout;
  const inputPath = (options.inputPath ?? `jobs_scratch_dir.${arch}`).replace(/\/+$/, "");
  const outputPath = options.outputPath.replace(/\/+$/, "");
  const splitJobName = options.splitJobName ?? `split spack pipeline for ${arch}`;
  const tags = [...options.architecture.runner_tags];
  const warnings: Warning[] = [];

  const read = await readSpackPipelines({ inputDir: options.inputDir, displayDir: options.displayInputDir });
  if (!read.value) throw new InputInvalidError({ problems: read.problems, code: "SPACK_PIPELINE_INVALID" });
  const pipelines = read.value;

  // 1. Merge same-named jobs: keep the copy in the earliest stage (first container on a tie).
  const merged = new Map<string, MergedJob>();
  const problems: Problem[] = [];
  const rebuildIndexJobs: Array<{ job: SpackJob; pipeline: SpackContainerPipeline }> = [];
  let jobsRead = 0;
  for (const pipeline of pipelines) {
    for (const job of pipeline.jobs) {
      if (job.stageIndex === Number.POSITIVE_INFINITY) {
        rebuildIndexJobs.push({ job, pipeline });
        continue;
      }
      jobsRead++;
      const existing = merged.get(job.name);
      if (!existing) {
        merged.set(job.name, {
          name: job.name,
          kept: job,
          pipeline,
          specNeeds: new Set(specNeedNames(job)),
          level: 0,
        });
        continue;
      }
      if (existing.kept.hash !== job.hash) {
        problems.push({
          code: "SPACK_JOB_HASH_CONFLICT",
          message: `job "${job.name}" has spec hash ${job.hash ?? "(none)"} here but ${existing.kept.hash ?? "(none)"} in ${existing.pipeline.file}:${existing.kept.locate().line}:${existing.kept.locate().col}`,
          hint: "two containers concretized different specs under one name; regenerate both pipelines",
          file: pipeline.file,
          ...job.locate(),
        });
        continue;
      }
      for (const need of specNeedNames(job)) existing.specNeeds.add(need);
      if (job.stageIndex < existing.kept.stageIndex) {
        existing.kept = job;
        existing.pipeline = pipeline;
      }
    }
  }
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "SPACK_PIPELINE_INVALID" });

  // 2. A job runs after every job it needs: a dependency kept in a later stage (its copy in
  // another container was generated against a different cache state) pushes the job down.
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (name: string): number => {
    const known = levels.get(name);
    if (known !== undefined) return known;
    const job = merged.get(name)!;
    if (visiting.has(name)) {
      throw new InputInvalidError({
        code: "SPACK_PIPELINE_INVALID",
        problems: [
          {
            code: "SPACK_NEEDS_CYCLE",
            message: `job "${name}" needs itself through other jobs`,
            file: job.pipeline.file,
            ...job.kept.locate(),
          },
        ],
      });
    }
    visiting.add(name);
    let level = job.kept.stageIndex;
    for (const need of job.specNeeds) if (merged.has(need)) level = Math.max(level, levelOf(need) + 1);
    visiting.delete(name);
    levels.set(name, level);
    if (level !== job.kept.stageIndex) {
      warnings.push({
        code: "SPACK_JOB_MOVED",
        message: `job "${name}" moved from stage-${job.kept.stageIndex} to stage-${level} to run after the jobs it needs`,
        file: job.pipeline.file,
        ...job.kept.locate(),
      });
    }
    return level;
  };
  const names = [...merged.keys()].sort(naturalCompare);
  for (const name of names) merged.get(name)!.level = levelOf(name);

  // 3. Job names GitLab accepts: Spack's labels can exceed 255 characters.
  const gitlabNames = new Map<string, string>();
  for (const name of names) {
    gitlabNames.set(
      name,
      name.length <= maxNameLength
        ? name
        : `${name.slice(0, maxNameLength - 9).trimEnd()}~${sha256Hex(name).slice(0, 8)}`,
    );
  }

  // 4. Each job, self-contained: its container's Spack variables, rebased on where that
  // container's concretize artifacts land, and the cross-pipeline need that brings them.
  const credentials = options.architecture.cache_bucket.credentials;
  const credentialVariables: Record<string, string> = {};
  // boto3 (Spack's S3 client) reads these; referencing the CI variables keeps secrets out of YAML and argv.
  if (credentials.access_key_var !== "AWS_ACCESS_KEY_ID")
    credentialVariables.AWS_ACCESS_KEY_ID = `$${credentials.access_key_var}`;
  if (credentials.secret_key_var !== "AWS_SECRET_ACCESS_KEY")
    credentialVariables.AWS_SECRET_ACCESS_KEY = `$${credentials.secret_key_var}`;
  if (options.architecture.cache_bucket.endpoint)
    credentialVariables.S3_ENDPOINT_URL = options.architecture.cache_bucket.endpoint;

  const buildJob = (
    job: SpackJob,
    pipeline: SpackContainerPipeline,
    needs: GitlabNeed[],
  ): GitlabScriptJob => {
    const newRoot = `${inputPath}/${pipeline.container}`;
    const rebase = createRebase(pipeline.variables.SPACK_ARTIFACTS_ROOT!, newRoot);
    const variables: Record<string, string> = {};
    for (const [key, value] of Object.entries(pipeline.variables)) variables[key] = rebase(value);
    Object.assign(variables, options.architecture.variables);
    if (isRecord(job.body.variables)) {
      for (const [key, value] of Object.entries(job.body.variables))
        variables[key] = rebase(String(value ?? ""));
    }
    Object.assign(variables, credentialVariables);
    const {
      needs: _n,
      tags: _t,
      retry: _r,
      when: _w,
      stage: _s,
      dependencies: _d,
      image,
      ...rest
    } = job.body;
    const result: GitlabScriptJob = {
      ...rest,
      stage: "",
      tags,
      needs,
      variables,
      interruptible: true,
      timeout,
      retry: infrastructureRetry(),
      script: rebaseList(job.body.script, rebase)!,
    };
    const gitlabImage = toImage(image, pullPolicy);
    if (gitlabImage) result.image = gitlabImage;
    for (const key of ["before_script", "after_script"] as const) {
      const lines = rebaseList(job.body[key], rebase);
      if (lines) result[key] = lines;
    }
    if (isRecord(job.body.artifacts)) {
      const artifacts = { ...job.body.artifacts };
      if (Array.isArray(artifacts.paths)) artifacts.paths = rebaseList(artifacts.paths, rebase);
      result.artifacts = artifacts;
    }
    return result;
  };
  const concretizeNeed = (container: string): GitlabNeed => ({
    job: `concretize ${container} for ${arch}`,
    pipeline: options.pipelineId,
    artifacts: true,
  });

  // 5. Stages, then chunks of a stage under the job and byte budgets, natural order.
  const byLevel = new Map<number, string[]>();
  for (const name of names) {
    const level = merged.get(name)!.level;
    const list = byLevel.get(level);
    if (list) list.push(name);
    else byLevel.set(level, [name]);
  }
  const levelsSorted = [...byLevel.keys()].sort((a, b) => a - b);
  const built = new Map<string, GitlabScriptJob>();
  for (const name of names) {
    const job = merged.get(name)!;
    built.set(name, buildJob(job.kept, job.pipeline, [concretizeNeed(job.pipeline.container)]));
  }
  // Variables equal in every job go to the top of each file once, not into 10 000 jobs.
  const common = commonVariables([...built.values()]);
  for (const job of built.values()) {
    for (const key of Object.keys(common)) delete job.variables![key];
  }

  type Chunk = {
    stage: string;
    names: string[];
    texts: string[];
    path: string;
    triggerName: string;
    collectJob?: string;
  };
  const sortedCommon = Object.fromEntries(Object.entries(common).sort(([a], [b]) => naturalCompare(a, b)));
  const chunks: Chunk[] = [];
  for (const level of levelsSorted) {
    const stage = `stage-${level}`;
    const header = renderYaml({
      stages: [stage],
      ...(Object.keys(common).length > 0 ? { variables: sortedCommon } : {}),
    });
    const budget = maxBytes - Buffer.byteLength(header);
    const groups: Array<{ names: string[]; texts: string[] }> = [];
    let current: { names: string[]; texts: string[] } = { names: [], texts: [] };
    let bytes = 0;
    // Natural order of the names GitLab shows, the order renderPipelineYaml writes them in.
    const stageNames = byLevel
      .get(level)!
      .sort((a, b) => naturalCompare(gitlabNames.get(a)!, gitlabNames.get(b)!));
    for (const name of stageNames) {
      const job = built.get(name)!;
      job.stage = stage;
      const text = renderJobYaml(gitlabNames.get(name)!, orderJobKeys(job));
      // +1: the blank line between jobs.
      const size = Buffer.byteLength(text) + 1;
      if (size > budget) {
        throw new SpacktainersError({
          code: "SPACK_JOB_TOO_LARGE",
          message: `job "${name}" alone is ${size} bytes of YAML, over the budget of ${maxBytes} bytes per file; raise --max-bytes`,
          exitCode: 2,
        });
      }
      if (current.names.length > 0 && (current.names.length >= maxJobs || bytes + size > budget)) {
        groups.push(current);
        current = { names: [], texts: [] };
        bytes = 0;
      }
      current.names.push(name);
      current.texts.push(text);
      bytes += size;
    }
    if (current.names.length > 0) groups.push(current);
    groups.forEach((group, index) => {
      const part = groups.length === 1 ? "" : `-${index + 1}`;
      chunks.push({
        stage,
        names: group.names,
        texts: group.texts,
        path: `chunks/${stage}${part}.yml`,
        triggerName: `build ${stage}${groups.length === 1 ? "" : ` (${index + 1}/${groups.length})`} for ${arch}`,
      });
    });
  }
  if (chunks.length + 1 > GITLAB_LIMITS.maxDownstreamPipelines) {
    throw new SpacktainersError({
      code: "TOO_MANY_CHILD_PIPELINES",
      message: `${chunks.length} child pipelines exceed GitLab's ${GITLAB_LIMITS.maxDownstreamPipelines} downstream pipelines; raise --max-jobs or --max-bytes`,
      exitCode: 2,
    });
  }

  // 6. Child pipeline files. A job's Spack needs all point to earlier stages (they run in
  // earlier child pipelines, which the trigger chain finishes first), so only the
  // cross-pipeline need remains. The text is what renderPipelineYaml writes for the same
  // pipeline (tests compare), assembled from per-job texts because rendering 10 000 jobs
  // through the \`yaml\` package takes seconds; checkPipeline still vets every file.
  const files: Record<string, string> = {};
  const summaryFiles: SplitFile[] = [];
  for (const chunk of chunks) {
    const jobs: GitlabPipeline["jobs"] = {};
    for (const name of chunk.names) jobs[gitlabNames.get(name)!] = built.get(name)!;
    const problems = checkPipeline({ stages: [chunk.stage], variables: common, jobs });
    if (problems.length > 0) {
      throw new SpacktainersError({
        code: "PIPELINE_INVALID",
        message: `generated pipeline is invalid:\n- ${problems.join("\n- ")}`,
      });
    }
    const header = renderYaml({
      stages: [chunk.stage],
      ...(Object.keys(common).length > 0 ? { variables: sortedCommon } : {}),
    });
    const text = `${header}\n${chunk.texts.join("\n")}`;
    files[chunk.path] = text;
    summaryFiles.push({ path: chunk.path, bytes: Buffer.byteLength(text), jobs: chunk.names.length });
  }

  // 7. The trigger pipeline: collect job(s), one trigger per chunk, stage after stage, then
  // rebuild-index. Trigger includes must come from an artifact of a job in the same pipeline.
  const collectGroups: Array<{ name: string; paths: string[] }> = [];
  {
    let paths: string[] = [];
    let bytes = 0;
    for (const file of summaryFiles) {
      if (paths.length > 0 && bytes + file.bytes > maxArtifactBytes) {
        collectGroups.push({ name: "", paths });
        paths = [];
        bytes = 0;
      }
      paths.push(file.path);
      bytes += file.bytes;
    }
    if (paths.length > 0) collectGroups.push({ name: "", paths });
    collectGroups.forEach((group, index) => {
      group.name = `collect child pipelines${collectGroups.length === 1 ? "" : ` (${index + 1}/${collectGroups.length})`} for ${arch}`;
      for (const path of group.paths) chunks.find((chunk) => chunk.path === path)!.collectJob = group.name;
    });
  }
  const trigger: GitlabPipeline = { stages: [], jobs: {} };
  if (chunks.length === 0) {
    Object.assign(trigger, nothingToRebuildPipeline({ arch, architecture: options.architecture }));
  } else {
    trigger.stages = ["collect", ...levelsSorted.map((level) => `stage-${level}`)];
    for (const group of collectGroups) {
      trigger.jobs[group.name] = {
        stage: "collect",
        tags,
        ...(Object.keys(options.architecture.variables).length > 0
          ? { variables: { ...options.architecture.variables } }
          : {}),
        needs: [{ job: splitJobName, pipeline: options.pipelineId, artifacts: true }],
        interruptible: true,
        timeout: "10m",
        retry: infrastructureRetry(),
        // The split job's artifacts hold more than YAML; republish only the child files so the
        // archive a trigger include reads stays far under GitLab's 5 MB.
        script: [`ls -l ${group.paths.map((path) => `"${outputPath}/${path}"`).join(" ")}`],
        artifacts: { paths: group.paths.map((path) => `${outputPath}/${path}`), expire_in: "1 week" },
      };
    }
    let previous: string[] = [];
    for (const level of levelsSorted) {
      const stage = `stage-${level}`;
      const stageChunks = chunks.filter((chunk) => chunk.stage === stage);
      for (const chunk of stageChunks) {
        const needs = [chunk.collectJob!, ...previous];
        const job: GitlabTriggerJob = {
          stage,
          // More needs than GitLab allows: the stage order alone runs it after the previous stage.
          ...(needs.length <= maxNeeds ? { needs } : {}),
          trigger: {
            include: [{ artifact: `${outputPath}/${chunk.path}`, job: chunk.collectJob! }],
            strategy: "depend",
          },
        };
        trigger.jobs[chunk.triggerName] = job;
      }
      previous = stageChunks.map((chunk) => chunk.triggerName);
    }
    const reindex = pickRebuildIndex(rebuildIndexJobs, warnings);
    if (reindex) {
      trigger.stages.push("rebuild-index");
      // `spack buildcache update-index` reads only the mirror: no concrete environment needed.
      const { needs: _n, ...job } = buildJob(reindex.job, reindex.pipeline, []);
      trigger.jobs["rebuild-index"] = {
        ...job,
        stage: "rebuild-index",
        ...(previous.length <= maxNeeds ? { needs: previous } : {}),
        dependencies: [],
      };
    }
  }
  const triggerText = renderPipelineYaml(trigger);
  files[TRIGGER_PIPELINE_FILE] = triggerText;
  summaryFiles.unshift({
    path: TRIGGER_PIPELINE_FILE,
    bytes: Buffer.byteLength(triggerText),
    jobs: Object.keys(trigger.jobs).length,
  });
  for (const file of summaryFiles) {
    if (file.bytes > maxBytes) {
      throw new SpacktainersError({
        code: "SPLIT_FILE_TOO_LARGE",
        message: `${file.path} would be ${file.bytes} bytes, over --max-bytes ${maxBytes}`,
        exitCode: 2,
      });
    }
  }
  const largestFile = summaryFiles.reduce((largest, file) => (file.bytes > largest.bytes ? file : largest));
  const ordered: Record<string, string> = {};
  for (const file of summaryFiles) ordered[file.path] = files[file.path]!;
  return {
    files: ordered,
    warnings,
    summary: {
      arch,
      containers: pipelines.length,
      containersWithJobs: pipelines.filter((pipeline) => pipeline.jobs.length > 0).length,
      jobsRead,
      uniqueJobs: names.length,
      stages: levelsSorted.length,
      chunks: chunks.length,
      files: summaryFiles,
      largestFile,
    },
  };
}

function commonVariables(jobs: GitlabScriptJob[]): Record<string, string> {
  if (jobs.length === 0) return {};
  const common: Record<string, string> = { ...jobs[0]!.variables };
  for (const job of jobs) {
    for (const [key, value] of Object.entries(common)) if (job.variables?.[key] !== value) delete common[key];
  }
  return common;
}

/** One rebuild-index job: every container pushes to the arch's one cache; warn when they differ. */
function pickRebuildIndex(
  jobs: Array<{ job: SpackJob; pipeline: SpackContainerPipeline }>,
  warnings: Warning[],
): { job: SpackJob; pipeline: SpackContainerPipeline } | undefined {
  const first = jobs[0];
  if (!first) return undefined;
  const script = JSON.stringify(first.job.body.script);
  for (const other of jobs.slice(1)) {
    if (JSON.stringify(other.job.body.script) !== script) {
      warnings.push({
        code: "SPACK_REBUILD_INDEX_DIFFERS",
        message: `rebuild-index differs from the one of ${first.pipeline.file}, which is the one kept; do the containers push to different mirrors?`,
        file: other.pipeline.file,
        ...other.job.locate(),
      });
    }
  }
  return first;
}
