import { type GitlabPipeline, isTriggerJob, naturalCompare, naturalSort } from "@spacktainers/core";

/** Output formats of `spacktainers graph`. */
export type GraphFormat = "mermaid" | "dot";

type Edge = { from: string; to: string; kind: "needs" | "stage" | "trigger" };

/**
 * The flow of a pipeline as edges: a job's `needs` when it has them, else every job of the
 * previous stage (GitLab's stage order); a trigger job points at the child pipeline it starts.
 */
export function pipelineEdges(
  pipeline: GitlabPipeline,
  children: Record<string, string> = {},
): { nodes: string[]; edges: Edge[] } {
  const stages =
    pipeline.stages ?? naturalSort(new Set(Object.values(pipeline.jobs).map((job) => job.stage)));
  const names = Object.keys(pipeline.jobs).sort(
    (a, b) =>
      stages.indexOf(pipeline.jobs[a]!.stage) - stages.indexOf(pipeline.jobs[b]!.stage) ||
      naturalCompare(a, b),
  );
  const edges: Edge[] = [];
  const nodes = [...names];
  for (const name of names) {
    const job = pipeline.jobs[name]!;
    if (job.needs) {
      for (const need of job.needs) {
        const from = typeof need === "string" ? need : need.pipeline === undefined ? need.job : undefined;
        if (from !== undefined) edges.push({ from, to: name, kind: "needs" });
      }
    } else {
      const index = stages.indexOf(job.stage);
      const previous = [...stages.slice(0, index)]
        .reverse()
        .find((stage) => names.some((n) => pipeline.jobs[n]!.stage === stage));
      for (const from of names.filter((n) => previous !== undefined && pipeline.jobs[n]!.stage === previous))
        edges.push({ from, to: name, kind: "stage" });
    }
    if (isTriggerJob(job)) {
      const child = children[name] ?? "child pipeline";
      const node = `${child} (${name})`;
      nodes.push(node);
      edges.push({ from: name, to: node, kind: "trigger" });
    }
  }
  return { nodes, edges };
}

function quote(text: string): string {
  return text.replace(/"/g, "'");
}

/** Renders the flow as a Mermaid `flowchart` or a Graphviz `digraph`. Deterministic. */
export function renderPipelineGraph(
  pipeline: GitlabPipeline,
  format: GraphFormat,
  children: Record<string, string> = {},
): string {
  const { nodes, edges } = pipelineEdges(pipeline, children);
  const id = new Map(nodes.map((node, index) => [node, `n${index}`]));
  if (format === "dot") {
    const lines = ["digraph pipeline {", "  rankdir=LR;", '  node [shape=box, fontname="sans-serif"];'];
    for (const node of nodes)
      lines.push(
        `  ${id.get(node)} [label="${quote(node)}"${node.endsWith(")") && !(node in pipeline.jobs) ? ", style=dashed" : ""}];`,
      );
    for (const edge of edges)
      lines.push(
        `  ${id.get(edge.from)} -> ${id.get(edge.to)}${edge.kind === "trigger" ? " [style=dashed]" : ""};`,
      );
    lines.push("}");
    return `${lines.join("\n")}\n`;
  }
  const lines = ["flowchart LR"];
  for (const node of nodes) {
    const label = quote(node);
    lines.push(node in pipeline.jobs ? `  ${id.get(node)}["${label}"]` : `  ${id.get(node)}[/"${label}"/]`);
  }
  for (const edge of edges)
    lines.push(`  ${id.get(edge.from)} ${edge.kind === "trigger" ? "-.->" : "-->"} ${id.get(edge.to)}`);
  return `${lines.join("\n")}\n`;
}
