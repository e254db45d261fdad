import {
  JOB_NAMES,
  naturalSort,
  OUT_PATHS,
  type Problem,
  parseYaml,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";
import { buildParentPipeline } from "./build-parent-pipeline.js";
import { renderParentPipeline } from "./render-parent-pipeline.js";

/** Conventional path of the parent pipeline. */
export const PARENT_PIPELINE_PATH = ".gitlab-ci.yml";

type TriggerLike = { trigger?: { include?: unknown }; rules?: Array<{ exists?: unknown }> };

function includesArtifact(job: TriggerLike | undefined, artifact: string): boolean {
  const include = job?.trigger?.include;
  return (
    Array.isArray(include) &&
    include.some(
      (entry) =>
        typeof entry === "object" && entry !== null && (entry as { artifact?: string }).artifact === artifact,
    )
  );
}

function guardedBy(job: TriggerLike | undefined, arch: string): boolean {
  return (job?.rules ?? []).some(
    (rule) =>
      Array.isArray(rule.exists) &&
      rule.exists.some((path) => String(path).startsWith(`container_definitions/${arch}/`)),
  );
}

/**
 * Checks that `.gitlab-ci.yml` triggers the build-cache and container pipelines of every
 * configured architecture, each guarded by `rules: exists`. A repository that adds an arch to
 * the config but not to its parent pipeline would otherwise silently never build it.
 */
export function checkParentPipeline({
  text,
  config,
  file = PARENT_PIPELINE_PATH,
  out = "out",
}: {
  text: string;
  config: SiteConfig;
  file?: string;
  out?: string;
}): Problem[] {
  const { value, problems, parsed } = parseYaml({ text, file });
  if (problems.length > 0) return problems;
  const jobs = (value ?? {}) as Record<string, TriggerLike>;
  const found: Problem[] = [];
  for (const arch of naturalSort(Object.keys(config.architectures))) {
    const expected = [
      [JOB_NAMES.populate(arch), `${out}/${OUT_PATHS.split(arch)}/pipeline.yml`],
      [JOB_NAMES.buildContainers(arch), `${out}/${OUT_PATHS.containers(arch)}/pipeline.yml`],
    ] as const;
    for (const [name, artifact] of expected) {
      const job = jobs[name];
      if (!includesArtifact(job, artifact)) {
        found.push({
          code: "PARENT_PIPELINE_MISSING_ARCH",
          message: `architecture ${arch} is configured but ${file} has no job "${name}" triggering ${artifact}`,
          hint: "run 'pnpm spacktainers parent-pipeline --write' to regenerate it",
          ...parsed.locate(job ? [name] : [], "key"),
        });
      } else if (!guardedBy(job, arch)) {
        found.push({
          code: "PARENT_PIPELINE_UNGUARDED",
          message: `job "${name}" is not guarded by 'rules: exists: container_definitions/${arch}/**/*'`,
          hint: "without it the trigger fails in repositories that have no definitions for this arch",
          ...parsed.locate([name], "key"),
        });
      }
    }
  }
  return found;
}

/**
 * A warning when `.gitlab-ci.yml` is not what `parent-pipeline --write` makes of the site config
 * now (a config change not carried over, or hand edits): not an error, edits may be deliberate.
 */
export function parentPipelineDrift({ text, config }: { text: string; config: SiteConfig }): Warning[] {
  const expected = renderParentPipeline(buildParentPipeline({ config }));
  if (text === expected) return [];
  const ours = expected.split("\n");
  const line = text.split("\n").findIndex((content, index) => content !== ours[index]) + 1;
  return [
    {
      code: "PARENT_PIPELINE_STALE",
      file: PARENT_PIPELINE_PATH,
      ...(line > 0 ? { line } : {}),
      message: `${PARENT_PIPELINE_PATH} differs from what 'spacktainers parent-pipeline' writes for this site config${line > 0 ? ` (first at line ${line})` : ""}`,
      hint: "run 'pnpm spacktainers parent-pipeline --write', unless the edits are deliberate",
    },
  ];
}
