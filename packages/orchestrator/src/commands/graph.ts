import { choiceFlag, defineCommand, JOB_NAMES } from "@spacktainers/core";
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
    const [{ buildParentPipeline, parentPipelineFor }, { renderPipelineGraph }] = await Promise.all([
      import("../build-parent-pipeline.js"),
      import("../render-pipeline-graph.js"),
    ]);
    const parent = parentPipelineFor(
      buildParentPipeline({ config }),
      flags["merge-request"] ? "merge-request" : "branch",
    );
    // The trigger jobs, named by JOB_NAMES, and what each child pipeline does.
    const children: Record<string, string> = {
      [JOB_NAMES.generationTrigger]: "pipeline A: base images, concretize, split, plan containers",
    };
    for (const arch of Object.keys(config.architectures)) {
      children[JOB_NAMES.populate(arch)] = `pipeline B: one child per split chunk (${arch})`;
      children[JOB_NAMES.buildContainers(arch)] = `container pipeline: build, publish, SIF (${arch})`;
    }
    command.out(renderPipelineGraph(parent, flags.format, children));
    return 0;
  },
});
