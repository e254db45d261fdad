import { choiceFlag, defineCommand, JOB_NAMES } from "@spacktainers/core";
import { buildParentPipeline, parentPipelineFor } from "../build-parent-pipeline.js";
import { renderPipelineGraph } from "../render-pipeline-graph.js";
import { prepareCommand, rootFlag } from "./preamble.js";

const parseFormat = choiceFlag(["mermaid", "dot"]);

/** `spacktainers graph`: the parent pipeline's flow as Mermaid or Graphviz. */
export const graphCommand = defineCommand({
  name: "graph",
  summary: "Print the flow of the parent pipeline as a Mermaid or Graphviz graph.",
  usage: "graph [--root DIR] [--format mermaid|dot] [--merge-request]",
  flags: {
    root: rootFlag,
    format: {
      type: "string",
      description: "mermaid or dot",
      placeholder: "FORMAT",
      default: "mermaid",
      parse: parseFormat,
    },
    "merge-request": {
      type: "boolean",
      description: "the pipeline of a merge request instead of a branch's",
    },
  },
  async run(command) {
    const { flags } = command;
    const { config } = await prepareCommand(command);
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
    command.out(renderPipelineGraph(parent, flags.format, children));
    return 0;
  },
});
