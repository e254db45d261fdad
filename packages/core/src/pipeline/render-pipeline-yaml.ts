import { Document, isMap, isSeq, visit } from "yaml";
import { SpacktainersError } from "../errors/spacktainers-error.js";
import { naturalCompare, naturalSort } from "../naming/natural-compare.js";
import { GITLAB_LIMITS } from "./gitlab-limits.js";
import { type GitlabJob, type GitlabPipeline, isTriggerJob } from "./pipeline-model.js";

/** Top-level keywords that cannot be job names. */
const RESERVED = new Set([
  "image",
  "services",
  "stages",
  "types",
  "before_script",
  "after_script",
  "variables",
  "cache",
  "include",
  "workflow",
  "default",
]);

/** Order of keys inside a job; keys not listed follow in natural order. */
const JOB_KEY_ORDER = [
  "stage",
  "extends",
  "image",
  "services",
  "tags",
  "needs",
  "dependencies",
  "variables",
  "rules",
  "when",
  "allow_failure",
  "interruptible",
  "resource_group",
  "environment",
  "timeout",
  "retry",
  "trigger",
  "before_script",
  "script",
  "after_script",
  "artifacts",
  "cache",
  "coverage",
];

/**
 * A job with its keys in the order {@link renderPipelineYaml} writes them and its variables in
 * natural order. Exported so a faster writer of job text (the ci-splitter's) stays identical.
 */
export function orderJobKeys(job: GitlabJob | Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(job).filter(([, value]) => value !== undefined);
  const rank = (key: string) => {
    const index = JOB_KEY_ORDER.indexOf(key);
    return index === -1 ? JOB_KEY_ORDER.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || naturalCompare(a, b));
  const ordered: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    ordered[key] =
      key === "variables" && value && typeof value === "object"
        ? sortKeys(value as Record<string, unknown>)
        : value;
  }
  return ordered;
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => naturalCompare(a, b)));
}

/** Checks what GitLab would refuse; throws `PIPELINE_INVALID` listing every problem. */
export function checkPipeline(pipeline: GitlabPipeline): string[] {
  const stages =
    pipeline.stages ?? naturalSort(new Set(Object.values(pipeline.jobs).map((job) => job.stage)));
  const problems: string[] = [];
  const names = Object.keys(pipeline.jobs);
  if (names.length === 0) problems.push("a pipeline needs at least one job");
  for (const name of Object.keys(pipeline.templates ?? {}))
    if (!name.startsWith("."))
      problems.push(`template "${name}" is not hidden (its name must start with ".")`);
  for (const [name, job] of Object.entries(pipeline.jobs)) {
    if (name.length > GITLAB_LIMITS.maxJobNameLength)
      problems.push(
        `job name longer than ${GITLAB_LIMITS.maxJobNameLength} characters: ${name.slice(0, 60)}…`,
      );
    if (RESERVED.has(name) || name.startsWith("."))
      problems.push(`job name "${name}" is a reserved keyword or hidden`);
    if (!stages.includes(job.stage))
      problems.push(`job "${name}" is in stage "${job.stage}", which is not in stages`);
    if ((job.needs?.length ?? 0) > GITLAB_LIMITS.maxNeedsPerJob)
      problems.push(
        `job "${name}" has ${job.needs!.length} needs (GitLab allows ${GITLAB_LIMITS.maxNeedsPerJob})`,
      );
    const extended = (job as { extends?: unknown }).extends;
    if (typeof extended === "string" && !(extended in (pipeline.templates ?? {})))
      problems.push(`job "${name}" extends "${extended}", which is not a template of this pipeline`);
    if (!isTriggerJob(job) && (!Array.isArray(job.script) || job.script.length === 0))
      problems.push(`job "${name}" has no script`);
    for (const need of job.needs ?? []) {
      const target = typeof need === "string" ? need : need.pipeline === undefined ? need.job : undefined;
      if (
        target !== undefined &&
        !(target in pipeline.jobs) &&
        !(typeof need === "object" && need.optional)
      ) {
        problems.push(`job "${name}" needs "${target}", which is not in this pipeline`);
      }
    }
  }
  return problems;
}

/**
 * Writes a pipeline as YAML, deterministically: `stages`, `variables`, `workflow`, `default`,
 * hidden templates, then jobs ordered by stage and natural name, keys in a stable order, no anchors or aliases,
 * no line folding. Throws a `PIPELINE_INVALID` SpacktainersError for what GitLab would refuse.
 */
export function renderPipelineYaml(pipeline: GitlabPipeline): string {
  const problems = checkPipeline(pipeline);
  if (problems.length > 0) {
    throw new SpacktainersError({
      code: "PIPELINE_INVALID",
      message: `generated pipeline is invalid:\n- ${problems.join("\n- ")}`,
    });
  }
  const stages =
    pipeline.stages ?? naturalSort(new Set(Object.values(pipeline.jobs).map((job) => job.stage)));
  const stageIndex = new Map(stages.map((stage, index) => [stage, index]));
  const top: Record<string, unknown> = { stages };
  if (pipeline.variables && Object.keys(pipeline.variables).length > 0)
    top.variables = sortKeys(pipeline.variables);
  if (pipeline.workflow) top.workflow = pipeline.workflow;
  if (pipeline.default) top.default = pipeline.default;
  for (const [name, template] of Object.entries(pipeline.templates ?? {}).sort(([a], [b]) =>
    naturalCompare(a, b),
  )) {
    top[name] = orderJobKeys(template);
  }
  const names = Object.keys(pipeline.jobs).sort(
    (a, b) =>
      stageIndex.get(pipeline.jobs[a]!.stage)! - stageIndex.get(pipeline.jobs[b]!.stage)! ||
      naturalCompare(a, b),
  );
  for (const name of names) top[name] = orderJobKeys(pipeline.jobs[name]!);
  return renderYaml(top);
}

/**
 * Deterministic YAML for any plain data: block style, no aliases (a shared object is written
 * twice rather than as `*ref`), no folding of long lines, keys in insertion order.
 */
export function renderYaml(data: unknown): string {
  const document = new Document(data, { aliasDuplicateObjects: false });
  // Blank line between top-level entries, like hand-written CI files; nested collections stay compact.
  if (isMap(document.contents)) {
    document.contents.items.forEach((pair, index) => {
      if (index > 0 && pair.key && typeof pair.key === "object")
        (pair.key as { spaceBefore?: boolean }).spaceBefore = true;
    });
  }
  visit(document, {
    Seq(_, node) {
      if (isSeq(node)) node.flow = false;
    },
  });
  return document.toString({ lineWidth: 0, minContentWidth: 0, indentSeq: true });
}
