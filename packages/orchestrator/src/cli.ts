import { resolve } from "node:path";
import { createGitlabClient } from "@spacktainers/artifact-gatherer";
import { formatPlan, formatResult, formatSifPrune } from "@spacktainers/cache-janitor";
import {
  type CliSpec,
  credentialVariableNames,
  defineCommand,
  formatProblem,
  INPUT_LIMITS,
  InputInvalidError,
  UsageError,
} from "@spacktainers/core";
import { readInputFile, writeFileAtomic } from "@spacktainers/core/node";
import { loadDefinitions, loadSiteConfig } from "@spacktainers/definitions-parser";
import { buildParentPipeline, parentPipelineFor } from "./build-parent-pipeline.js";
import { checkParentPipeline, PARENT_PIPELINE_PATH, parentPipelineDrift } from "./check-parent-pipeline.js";
import { contextFromEnv } from "./ci-context-from-env.js";
import { gatherPipelineArtifacts } from "./gather-pipeline-artifacts.js";
import { generate } from "./generate.js";
import { JOB_NAMES, OUT_PATHS } from "./job-names.js";
import { onlineClients } from "./online-clients.js";
import { planContainers, summarizePlan } from "./plan-containers.js";
import { type PlanRepositoryOptions, planRepository, planRows } from "./plan-repository.js";
import { pruneArchCache } from "./prune-arch-cache.js";
import { pruneBranchCache } from "./prune-branch-cache.js";
import { removeStaleSifs } from "./remove-stale-sifs.js";
import { renderParentPipeline } from "./render-parent-pipeline.js";
import { renderPipelineGraph } from "./render-pipeline-graph.js";
import { renderPlanNote } from "./render-plan-note.js";
import { splitArchPipeline } from "./split-arch-pipeline.js";
import { formatSiteSync, syncSiteSifs } from "./sync-site-sifs.js";
import { upsertMergeRequestNote } from "./upsert-merge-request-note.js";
import { VERSION } from "./version.js";

const rootFlag = {
  type: "string",
  description: "repository root",
  placeholder: "DIR",
  env: "CI_PROJECT_DIR",
} as const;
const nowFlag = {
  type: "string",
  description: "the instant of this run (ISO 8601); default now",
  placeholder: "ISO",
  env: "SPACKTAINERS_NOW",
} as const;

async function loadValidConfig(root: string) {
  const loaded = await loadDefinitions({ root });
  if (loaded.problems.length > 0 || !loaded.config)
    throw new InputInvalidError({ problems: loaded.problems });
  return { ...loaded, config: loaded.config };
}

const generateCommand = defineCommand({
  name: "generate",
  summary: "Write child pipeline A and the Spack environments for every active architecture.",
  usage: "generate [--root DIR] [--out DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    out: {
      type: "string",
      description: "output folder inside the repository",
      placeholder: "DIR",
      default: "out",
    },
    now: nowFlag,
  },
  details:
    "Offline (no CI variables), registry and S3 are not asked: every base image is planned for building.",
  async run({ flags, env, cwd, log, json, maskVariables }) {
    const root = resolve(cwd, flags.root ?? ".");
    const context = await contextFromEnv({ env, root, now: flags.now });
    // The config alone (generate reports every problem of config and definitions itself).
    const site = await loadSiteConfig({ root });
    if (site.value) maskVariables(credentialVariableNames(site.value));
    const clients = site.value ? onlineClients({ config: site.value, context, env }) : undefined;
    let result: Awaited<ReturnType<typeof generate>>;
    try {
      result = await generate({
        root,
        out: flags.out ?? "out",
        context,
        ...(clients?.registry ? { registry: clients.registry } : {}),
      });
    } finally {
      await clients?.close();
    }
    for (const warning of result.warnings) log(`warning: ${formatProblem(warning)}`);
    if (flags.json) {
      json({
        ...result,
        definitions: result.definitions.map(({ name, arch, kind }) => ({ name, arch, kind })),
      });
      return 0;
    }
    const perArch = result.arches
      .map((arch) => `${arch}: ${result.definitions.filter((d) => d.arch === arch).length}`)
      .join(", ");
    log(
      `spacktainers: ${result.definitions.length} containers (${perArch}), ${result.jobCount} jobs in pipeline A, branch ${context.refName}${context.isProd ? " (default branch)" : ""}`,
    );
    for (const base of result.baseImages)
      log(`  base image ${base.name}:${base.tag} — ${base.decision.action}: ${base.decision.reason}`);
    log(
      `  wrote ${result.files.length} files under ${result.out}/ (pipeline.yml, gather.json, environments/)`,
    );
    if (result.offline)
      log(
        "  offline: registry and S3 checks were skipped (no CI credentials); everything is planned as 'build'",
      );
    return 0;
  },
});

const validateCommand = defineCommand({
  name: "validate",
  summary:
    "Check the site config, every definition, and that .gitlab-ci.yml triggers every configured architecture (warns when it differs from parent-pipeline output).",
  usage: "validate [--root DIR] [--json]",
  details:
    "The repository as a pipeline sees it: what 'spacktainers-definitions validate' checks (site config and definitions), plus .gitlab-ci.yml against the site config. Merge-request pipelines run it.",
  flags: { root: rootFlag },
  async run({ flags, cwd, log, json }) {
    const root = resolve(cwd, flags.root ?? ".");
    const loaded = await loadDefinitions({ root });
    const problems = [...loaded.problems];
    const warnings = [...loaded.warnings];
    if (loaded.config) {
      const read = await readInputFile({
        root,
        path: PARENT_PIPELINE_PATH,
        maxBytes: INPUT_LIMITS.yamlFileBytes,
        text: true,
        what: "parent pipeline",
      });
      if (read.status === "refused") problems.push(read.problem);
      else if (read.status === "missing")
        problems.push({
          code: "PARENT_PIPELINE_MISSING",
          file: PARENT_PIPELINE_PATH,
          message: `${PARENT_PIPELINE_PATH} is missing`,
          hint: "run 'pnpm spacktainers parent-pipeline --write'",
        });
      else {
        problems.push(...checkParentPipeline({ text: read.text, config: loaded.config }));
        warnings.push(...parentPipelineDrift({ text: read.text, config: loaded.config }));
      }
    }
    if (flags.json)
      json({
        valid: problems.length === 0,
        containers: loaded.definitions.length,
        problems,
        warnings,
      });
    for (const warning of warnings) log(`warning: ${formatProblem(warning)}`);
    if (problems.length > 0) throw new InputInvalidError({ problems });
    if (!flags.json)
      log(
        `spacktainers: valid — ${loaded.definitions.length} containers, ${PARENT_PIPELINE_PATH} triggers every configured architecture`,
      );
    return 0;
  },
});

const parentPipelineCommand = defineCommand({
  name: "parent-pipeline",
  summary: "Print the parent pipeline (.gitlab-ci.yml) for the site config, or write it with --write.",
  usage: "parent-pipeline [--root DIR] [--write]",
  flags: {
    root: rootFlag,
    write: { type: "boolean", description: `write ${PARENT_PIPELINE_PATH} instead of printing it` },
  },
  async run({ flags, cwd, out, log }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config } = await loadValidConfig(root);
    const text = renderParentPipeline(buildParentPipeline({ config }));
    if (!flags.write) {
      out(text);
      return 0;
    }
    await writeFileAtomic(resolve(root, PARENT_PIPELINE_PATH), text);
    log(`spacktainers: wrote ${resolve(root, PARENT_PIPELINE_PATH)}`);
    return 0;
  },
});

const graphCommand = defineCommand({
  name: "graph",
  summary: "Print the flow of the parent pipeline as a Mermaid or Graphviz graph.",
  usage: "graph [--root DIR] [--format mermaid|dot] [--merge-request]",
  flags: {
    root: rootFlag,
    format: { type: "string", description: "mermaid or dot", placeholder: "FORMAT", default: "mermaid" },
    "merge-request": {
      type: "boolean",
      description: "the pipeline of a merge request instead of a branch's",
    },
  },
  async run({ flags, cwd, out }) {
    if (flags.format !== "mermaid" && flags.format !== "dot")
      throw new UsageError(`--format must be mermaid or dot, got ${flags.format}`);
    const root = resolve(cwd, flags.root ?? ".");
    const { config } = await loadValidConfig(root);
    const parent = parentPipelineFor(
      buildParentPipeline({ config }),
      flags["merge-request"] ? "merge-request" : "branch",
    );
    const children: Record<string, string> = {};
    for (const name of Object.keys(parent.jobs)) {
      if (name === JOB_NAMES.generationTrigger)
        children[name] = "pipeline A: base images, concretize, split, plan containers";
      else if (name.startsWith("populate build cache for"))
        children[name] =
          `pipeline B: one child per split chunk (${name.slice("populate build cache for ".length)})`;
      else if (name.startsWith("build containers for"))
        children[name] =
          `container pipeline: build, publish, SIF (${name.slice("build containers for ".length)})`;
    }
    out(renderPipelineGraph(parent, flags.format, children));
    return 0;
  },
});

function requireEnv(env: Record<string, string | undefined>, names: string[]): Record<string, string> {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0)
    throw new UsageError(
      `missing CI variable(s) ${missing.join(", ")}: this command runs in a GitLab CI job`,
    );
  return Object.fromEntries(names.map((name) => [name, env[name]!]));
}

function gitlabFromEnv(env: Record<string, string | undefined>, tokenVariable: string) {
  const ci = requireEnv(env, ["CI_API_V4_URL", "CI_PROJECT_ID"]);
  // A variable created from a file often ends with a newline, which GitLab refuses in a header.
  const token = env[tokenVariable]?.trim();
  if (!token)
    throw new UsageError(
      `the CI variable ${tokenVariable} is empty: define it as a masked variable holding a project or personal access token with read_api (CI_JOB_TOKEN cannot list bridges, jobs or branches)`,
    );
  // The environment goes along for the client's proxy (HTTPS_PROXY, NO_PROXY).
  return { apiUrl: ci.CI_API_V4_URL!, projectId: ci.CI_PROJECT_ID!, token, env };
}

/** `--max-delete-fraction`, a share between 0 and 1. */
function deleteFraction(text: string | undefined): number {
  const fraction = Number(text);
  if (!(fraction >= 0 && fraction <= 1))
    throw new UsageError(`--max-delete-fraction must be between 0 and 1, got ${text}`);
  return fraction;
}

/** Runs `use` with a GitLab client from the CI variables (token masked), closed afterwards. */
async function withGitlab<T>(
  env: Record<string, string | undefined>,
  tokenVariable: string,
  maskValues: (values: string[]) => void,
  use: (gitlab: ReturnType<typeof createGitlabClient>) => Promise<T>,
): Promise<T> {
  const connection = gitlabFromEnv(env, tokenVariable);
  maskValues([connection.token]);
  const gitlab = createGitlabClient(connection);
  try {
    return await use(gitlab);
  } finally {
    await gitlab.close();
  }
}

const gatherCommand = defineCommand({
  name: "gather",
  summary:
    "Fetch pipeline A's split and container pipelines through the GitLab API (the parent's gather job).",
  usage: "gather [--root DIR] [--out DIR] [--now ISO]",
  flags: {
    root: rootFlag,
    out: {
      type: "string",
      description: "output folder holding gather.json",
      placeholder: "DIR",
      default: "out",
    },
    now: nowFlag,
  },
  details:
    "Needs CI_PIPELINE_ID, CI_API_V4_URL, CI_PROJECT_ID and a token with read_api in the variable named by ci.api_token_var (default GITLAB_API_TOKEN); CI_JOB_TOKEN cannot list bridges.",
  async run({ flags, env, cwd, log, json, maskVariables, maskValues }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const { CI_PIPELINE_ID } = requireEnv(env, ["CI_PIPELINE_ID"]);
    const connection = gitlabFromEnv(env, config.ci.api_token_var);
    maskValues([connection.token]);
    const result = await gatherPipelineArtifacts({
      root,
      out: flags.out ?? "out",
      ...connection,
      pipelineId: CI_PIPELINE_ID!,
      now: flags.now ? new Date(flags.now) : new Date(),
      onProgress: (event) => {
        if (event.type === "resolved")
          log(`spacktainers: bridge ${event.bridge} → pipeline ${event.downstreamPipelineId}`);
        if (event.type === "extracted") log(`  ${event.job}: ${event.files} files, ${event.bytes} bytes`);
      },
      onRetry: (event) => log(`  retrying: ${JSON.stringify(event)}`),
    });
    const { artifact } = result;
    log(
      `spacktainers: artifact for the triggers: ${artifact.files} YAML files, ${artifact.bytes} bytes, about ${artifact.estimatedZipBytes} bytes zipped (GitLab's limit: ${artifact.limitBytes})`,
    );
    if (flags.json) json(result);
    return 0;
  },
});

function archOf(config: { architectures: Record<string, unknown> }, arch: string | undefined): string {
  if (!arch) throw new UsageError("--arch is required");
  if (!(arch in config.architectures))
    throw new UsageError(
      `unknown architecture ${arch}; configured: ${Object.keys(config.architectures).join(", ")}`,
    );
  return arch;
}

const splitCommand = defineCommand({
  name: "split",
  summary:
    "Split Spack's generated pipelines of one arch into child pipelines GitLab accepts (pipeline A's split job).",
  usage: "split --arch A [--input DIR] [--out DIR] [--pipeline-id ID] [--root DIR] [--json]",
  flags: {
    root: rootFlag,
    arch: { type: "string", description: "architecture", placeholder: "A" },
    input: {
      type: "string",
      description: "Spack's pipelines, one folder per container (default out/jobs_scratch_dir.<A>)",
      placeholder: "DIR",
    },
    out: { type: "string", description: "output folder (default out/split/<A>)", placeholder: "DIR" },
    "pipeline-id": {
      type: "string",
      description: "id of pipeline A, target of the cross-pipeline needs",
      placeholder: "ID",
      env: "CI_PIPELINE_ID",
    },
  },
  async run({ flags, cwd, log, json }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    const arch = archOf(config, flags.arch);
    const pipelineId = flags["pipeline-id"];
    if (!pipelineId)
      throw new UsageError(
        "--pipeline-id (or CI_PIPELINE_ID) is required: split jobs fetch their environments from pipeline A by its id",
      );
    const result = await splitArchPipeline({
      root,
      arch,
      config,
      definitions,
      input: flags.input ?? `out/${OUT_PATHS.scratch(arch)}`,
      out: flags.out ?? `out/${OUT_PATHS.split(arch)}`,
      pipelineId,
    });
    for (const warning of result.warnings) log(`warning: ${formatProblem(warning)}`);
    if (flags.json) json({ files: result.files, summary: result.summary ?? null });
    else if (result.summary) {
      const s = result.summary;
      log(
        `spacktainers: ${arch}: ${s.jobsRead} jobs read, ${s.uniqueJobs} unique, ${s.stages} stages, ${s.chunks} child pipelines; largest file ${s.largestFile.path} (${s.largestFile.bytes} bytes)`,
      );
    } else log(`spacktainers: ${arch} has no Spack container: wrote a no-op pipeline`);
    return 0;
  },
});

const removeStaleSifsCommand = defineCommand({
  name: "remove-stale-sifs",
  summary: "Delete the SIF files of branches that no longer exist (a dry-run plan unless --apply).",
  usage:
    "remove-stale-sifs [--root DIR] [--apply] [--force] [--max-delete-fraction F] [--assume-tags-without-separator] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    apply: { type: "boolean", description: "delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than --max-delete-fraction of the SIFs" },
    "max-delete-fraction": {
      type: "string",
      description: "refuse to delete a larger share of the SIFs",
      placeholder: "F",
      default: "0.5",
    },
    "assume-tags-without-separator": {
      type: "boolean",
      description:
        "source image tags never hold __: <name>__<a>__<b>__<arch>.sif is branch b's custom SIF, not tag a__b's",
    },
    now: nowFlag,
  },
  async run({ flags, env, cwd, log, json, maskVariables, maskValues }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const fraction = deleteFraction(flags["max-delete-fraction"]);
    const context = await contextFromEnv({ env, root, now: flags.now });
    return withGitlab(env, config.ci.api_token_var, maskValues, async (gitlab) => {
      const result = await removeStaleSifs({
        config,
        context,
        gitlab,
        env,
        apply: flags.apply,
        force: flags.force,
        maxDeleteFraction: fraction,
        assumeTagsWithoutSeparator: flags["assume-tags-without-separator"],
        now: context.now,
      });
      if (flags.json) json(result);
      for (const line of formatSifPrune(result)) log(line);
      return result.errors.length > 0 ? 3 : 0;
    });
  },
});

const containersCommand = defineCommand({
  name: "containers",
  summary: "Write the container pipeline of one arch from the concretized locks (pipeline A's plan job).",
  usage:
    "containers --arch A [--pipeline-id ID] [--environments DIR] [--out DIR] [--root DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    arch: { type: "string", description: "architecture", placeholder: "A" },
    environments: {
      type: "string",
      description: "environments with their spack.lock (default out/environments)",
      placeholder: "DIR",
    },
    out: { type: "string", description: "output folder (default out/containers/<A>)", placeholder: "DIR" },
    "pipeline-id": {
      type: "string",
      description: "id of pipeline A, whose plan job the build jobs fetch their context from",
      placeholder: "ID",
      env: "CI_PIPELINE_ID",
    },
    now: nowFlag,
  },
  async run({ flags, env, cwd, log, json, maskVariables }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const arch = archOf(config, flags.arch);
    const pipelineId = flags["pipeline-id"];
    if (!pipelineId)
      throw new UsageError(
        "--pipeline-id (or CI_PIPELINE_ID) is required: container jobs fetch their build context from pipeline A by its id",
      );
    const context = await contextFromEnv({ env, root, now: flags.now });
    const clients = onlineClients({ config, context, env });
    try {
      const result = await planContainers({
        root,
        arch,
        config,
        definitions,
        context,
        environments: flags.environments ?? `out/${OUT_PATHS.environments}`,
        out: flags.out ?? `out/${OUT_PATHS.containers(arch)}`,
        pipelineId,
        clients,
      });
      for (const warning of result.warnings) log(`warning: ${formatProblem(warning)}`);
      if (flags.json) json(result.plans.map(summarizePlan));
      else {
        log(
          `spacktainers: ${arch}: ${result.plans.length} containers, ${Object.keys(result.pipeline.jobs).length} jobs`,
        );
        for (const plan of result.plans) {
          for (const [what, decision] of Object.entries(plan.decisions))
            log(
              `  ${plan.name}:${plan.identity?.tag ?? "?"} ${what}: ${decision.action} — ${decision.reason}`,
            );
        }
      }
      return 0;
    } finally {
      await clients.close();
    }
  },
});

const syncSiteSifsCommand = defineCommand({
  name: "sync-site-sifs",
  summary:
    "Restore missing or outdated site copies of SIFs from the buckets, and remove those of deleted branches (a plan unless --apply).",
  usage:
    "sync-site-sifs [--root DIR] [--directory DIR] [--apply] [--force] [--max-delete-fraction F] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    directory: {
      type: "string",
      description: "site directory (default sif_deploy.directory)",
      placeholder: "DIR",
    },
    apply: { type: "boolean", description: "copy and delete; without it only the plan is printed" },
    force: {
      type: "boolean",
      description: "allow deleting more than --max-delete-fraction of the site's SIFs",
    },
    "max-delete-fraction": {
      type: "string",
      description: "refuse to delete a larger share of the site's SIFs",
      placeholder: "F",
      default: "0.5",
    },
    now: nowFlag,
  },
  details:
    "Compares each SIF of a live branch, tag or the default branch with the site copy by the object metadata recorded beside it (.<file>.metadata.json); runs on the sif_deploy runner in every pipeline.",
  async run({ flags, env, cwd, log, json, maskVariables, maskValues }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const fraction = deleteFraction(flags["max-delete-fraction"]);
    const context = await contextFromEnv({ env, root, now: flags.now });
    return withGitlab(env, config.ci.api_token_var, maskValues, async (gitlab) => {
      const result = await syncSiteSifs({
        config,
        context,
        gitlab,
        env,
        ...(flags.directory ? { directory: resolve(cwd, flags.directory) } : {}),
        apply: flags.apply,
        force: flags.force,
        maxDeleteFraction: fraction,
        now: context.now,
      });
      if (flags.json) json(result);
      for (const line of [...formatSiteSync(result), ...formatSifPrune(result.cleanup)]) log(line);
      return result.cleanup.errors.length > 0 ? 3 : 0;
    });
  },
});

const pruneCommand = defineCommand({
  name: "prune",
  summary:
    "Prune one arch's build cache, protecting every spec of this pipeline's locks (a dry-run plan unless --apply).",
  usage: "prune --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    arch: { type: "string", description: "architecture", placeholder: "A" },
    locks: {
      type: "string",
      description: "folder of <container>/spack.lock (default out/containers/<A>)",
      placeholder: "DIR",
    },
    report: {
      type: "string",
      description: "write the plan or result as JSON here (default out/prune-<A>.json)",
      placeholder: "FILE",
    },
    apply: { type: "boolean", description: "delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than half of the cache" },
    now: nowFlag,
  },
  async run({ flags, env, cwd, log, json, maskVariables, mask }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const arch = archOf(config, flags.arch);
    if (!definitions.some((definition) => definition.arch === arch && definition.kind === "spack")) {
      // No Spack container: no lock protects anything this pipeline uses, so pruning would judge
      // the cache blind. The cache of such an arch is left alone (prune it with the janitor).
      log(`spacktainers: ${arch} has no Spack container; its build cache is not pruned`);
      if (flags.json) json({ skipped: true, arch });
      return 0;
    }
    const context = await contextFromEnv({ env, root, now: flags.now });
    const { plan, result, keepLocks, packageLists } = await pruneArchCache({
      root,
      arch,
      config,
      context,
      env,
      locks: flags.locks ?? `out/${OUT_PATHS.containers(arch)}`,
      apply: flags.apply,
      force: flags.force,
    });
    const report = resolve(root, flags.report ?? `out/prune-${arch}.json`);
    await writeFileAtomic(
      report,
      mask(`${JSON.stringify({ keepLocks, packageLists, plan, result: result ?? null }, null, 2)}\n`),
    );
    if (flags.json) json({ keepLocks, packageLists, plan, result: result ?? null });
    else {
      log(
        `spacktainers: ${arch}: protecting ${keepLocks.length} locks; ${packageLists.length > 0 ? `specs of packages in none of ${packageLists.length} package lists of the builder are removed` : "no package list of the builder (removed-package rule off)"}`,
      );
      for (const line of result ? formatResult(result) : formatPlan(plan)) log(line);
      log(`  report: ${report}`);
    }
    return result && result.failed.length > 0 ? 3 : 0;
  },
});

const pruneBranchCacheCommand = defineCommand({
  name: "prune-branch-cache",
  summary:
    "Prune one arch's branch build cache (cache_bucket.name with a prod_name), keeping what live branches use (a dry-run plan unless --apply).",
  usage:
    "prune-branch-cache --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    arch: { type: "string", description: "architecture", placeholder: "A" },
    locks: {
      type: "string",
      description: "folder of <container>/spack.lock (default out/containers/<A>)",
      placeholder: "DIR",
    },
    report: {
      type: "string",
      description: "write the plan or result as JSON here (default out/prune-<A>.json)",
      placeholder: "FILE",
    },
    apply: { type: "boolean", description: "record, delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than half of the cache" },
    now: nowFlag,
  },
  details:
    "Records this branch's locks in the bucket (spacktainers/branch-locks/<slug>/), deletes the records of branches GitLab no longer lists, and prunes with every live branch's locks protected and specs nobody uses older than max_age_days (default 30) deleted.",
  async run({ flags, env, cwd, log, json, maskVariables, maskValues, mask }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const arch = archOf(config, flags.arch);
    if (!definitions.some((definition) => definition.arch === arch && definition.kind === "spack")) {
      log(`spacktainers: ${arch} has no Spack container; its build cache is not pruned`);
      if (flags.json) json({ skipped: true, arch });
      return 0;
    }
    const context = await contextFromEnv({ env, root, now: flags.now });
    return withGitlab(env, config.ci.api_token_var, maskValues, async (gitlab) => {
      const outcome = await pruneBranchCache({
        root,
        arch,
        config,
        context,
        gitlab,
        env,
        locks: flags.locks ?? `out/${OUT_PATHS.containers(arch)}`,
        apply: flags.apply,
        force: flags.force,
      });
      const report = resolve(root, flags.report ?? `out/prune-${arch}.json`);
      const { result, ...rest } = outcome;
      const data = { ...rest, result: result ?? null };
      await writeFileAtomic(report, mask(`${JSON.stringify(data, null, 2)}\n`));
      if (flags.json) json(data);
      else {
        log(
          `spacktainers: ${arch} branch cache: protecting the locks of ${outcome.protectingBranches.join(", ")}; ${outcome.goneBranches.length > 0 ? `records of gone branches ${outcome.goneBranches.join(", ")} ${flags.apply ? "deleted" : "would be deleted"}` : "no record of a gone branch"}`,
        );
        for (const line of result ? formatResult(result) : formatPlan(outcome.plan)) log(line);
        log(`  report: ${report}`);
      }
      return result && result.failed.length > 0 ? 3 : 0;
    });
  },
});

function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
}

const environmentsFlag = {
  type: "string",
  description: "environments with spack.lock files (default out/environments)",
  placeholder: "DIR",
} as const;

/** The plan of `plan` and `plan-note`, its warnings logged. */
async function planWithWarnings({
  root,
  env,
  log,
  flags,
  ...loaded
}: Pick<PlanRepositoryOptions, "root" | "config" | "definitions" | "env"> & {
  log: (text: string) => void;
  flags: { now?: string | undefined; environments?: string | undefined };
}) {
  const context = await contextFromEnv({ env, root, now: flags.now });
  const plan = await planRepository({
    root,
    ...loaded,
    context,
    env,
    ...(flags.environments ? { environments: flags.environments } : {}),
  });
  for (const warning of plan.warnings) log(`warning: ${formatProblem(warning)}`);
  return plan;
}

const planCommand = defineCommand({
  name: "plan",
  summary: "Show, per container and architecture, what will be built, uploaded or pushed, and why.",
  usage: "plan [--root DIR] [--environments DIR] [--now ISO] [--json]",
  flags: { root: rootFlag, environments: environmentsFlag, now: nowFlag },
  details:
    "Without spack.lock files (before concretization) Spack containers show 'not concretized yet'. Offline, nothing is checked and everything is 'build'.",
  async run({ flags, env, cwd, out, log, json, maskVariables }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const plan = await planWithWarnings({ root, config, definitions, env, log, flags });
    if (flags.json) {
      json({ offline: plan.offline, baseImages: plan.baseImages, containers: plan.containers });
      return 0;
    }
    const { rows, reasons } = planRows(plan);
    out(`${formatTable(rows).join("\n")}\n\nWhy:\n`);
    for (const reason of reasons) out(`  ${reason}\n`);
    return 0;
  },
});

const planNoteCommand = defineCommand({
  name: "plan-note",
  summary:
    "Post the plan on the merge request as one note, updated in place on every push (merge-request pipelines).",
  usage: "plan-note [--root DIR] [--environments DIR] [--now ISO] [--json]",
  flags: { root: rootFlag, environments: environmentsFlag, now: nowFlag },
  details:
    "Needs CI_MERGE_REQUEST_IID, CI_API_V4_URL, CI_PROJECT_ID and a token with the api scope in the variable named by ci.api_token_var (default GITLAB_API_TOKEN). Finds its earlier note by a hidden marker and updates it; creates it on the first push.",
  async run({ flags, env, cwd, log, json, maskVariables, maskValues }) {
    const root = resolve(cwd, flags.root ?? ".");
    const { config, definitions } = await loadValidConfig(root);
    maskVariables(credentialVariableNames(config));
    const { CI_MERGE_REQUEST_IID } = requireEnv(env, ["CI_MERGE_REQUEST_IID"]);
    const connection = gitlabFromEnv(env, config.ci.api_token_var);
    maskValues([connection.token]);
    const plan = await planWithWarnings({ root, config, definitions, env, log, flags });
    const body = renderPlanNote({ plan, commit: env.CI_COMMIT_SHA, pipelineUrl: env.CI_PIPELINE_URL });
    const gitlab = createGitlabClient(connection);
    try {
      const result = await upsertMergeRequestNote({ gitlab, mergeRequestIid: CI_MERGE_REQUEST_IID!, body });
      if (flags.json) json(result);
      else
        log(`spacktainers: ${result.action} note ${result.noteId} on merge request !${CI_MERGE_REQUEST_IID}`);
      return 0;
    } finally {
      await gitlab.close();
    }
  },
});

/** The `spacktainers` CLI. */
export const cli: CliSpec = {
  name: "spacktainers",
  version: VERSION,
  description:
    "Turns container_definitions/ into a multi-architecture GitLab CI pipeline (Spack build cache, images, SIFs).",
  commands: [
    generateCommand,
    containersCommand,
    splitCommand,
    gatherCommand,
    removeStaleSifsCommand,
    syncSiteSifsCommand,
    pruneCommand,
    pruneBranchCacheCommand,
    planCommand,
    planNoteCommand,
    validateCommand,
    graphCommand,
    parentPipelineCommand,
  ],
};
