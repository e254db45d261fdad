import { planRows, type RepositoryPlan } from "./plan-repository.js";
import { PLAN_NOTE_MARKER } from "./upsert-merge-request-note.js";

export interface RenderPlanNoteOptions {
  /** The plan of the merge request's head. */
  plan: RepositoryPlan;
  /** The commit planned (`CI_COMMIT_SHA`). */
  commit?: string | undefined;
  /** The pipeline that planned it (`CI_PIPELINE_URL`). */
  pipelineUrl?: string | undefined;
}

/** Markdown cells cannot hold `|` or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** The merge-request note of a plan: hidden marker, a table, and the reasons folded away. */
export function renderPlanNote({ plan, commit, pipelineUrl }: RenderPlanNoteOptions): string {
  const { rows, reasons } = planRows(plan);
  const [header, ...body] = rows;
  const source = [
    commit ? `commit \`${commit.slice(0, 12)}\`` : undefined,
    pipelineUrl ? `[pipeline](${pipelineUrl})` : undefined,
  ].filter(Boolean);
  const lines = [
    PLAN_NOTE_MARKER,
    "### spacktainers plan",
    "",
    `What a pipeline of this branch would build, upload and push${source.length ? ` (${source.join(", ")})` : ""}. This note is updated on every push.`,
    "",
    `| ${header!.map(cell).join(" | ")} |`,
    `| ${header!.map(() => "---").join(" | ")} |`,
    ...body.map((row) => `| ${row.map(cell).join(" | ")} |`),
    "",
  ];
  if (plan.offline)
    lines.push(
      "> Registry and S3 were not asked (no credentials in this job): everything shows as `build`.",
      "",
    );
  lines.push(
    "<details><summary>Why</summary>",
    "",
    ...reasons.map((reason) => `- ${cell(reason)}`),
    "",
    "</details>",
    "",
  );
  return lines.join("\n");
}
