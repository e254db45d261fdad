import { resolve } from "node:path";
import { defineCommand } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { PARENT_PIPELINE_PATH } from "../check-parent-pipeline.js";
import { prepareCommand, rootFlag } from "./preamble.js";

/** `spacktainers parent-pipeline`: the `.gitlab-ci.yml` of the site config. */
export const parentPipelineCommand = defineCommand({
  name: "parent-pipeline",
  summary: "Print the parent pipeline (.gitlab-ci.yml) for the site config, or write it with --write.",
  usage: "parent-pipeline [--root DIR] [--write]",
  flags: {
    root: rootFlag,
    write: { type: "boolean", description: `write ${PARENT_PIPELINE_PATH} instead of printing it` },
  },
  async run(command) {
    const { root, config } = await prepareCommand(command);
    const [{ buildParentPipeline }, { renderParentPipeline }] = await Promise.all([
      import("../build-parent-pipeline.js"),
      import("../render-parent-pipeline.js"),
    ]);
    const text = renderParentPipeline(buildParentPipeline({ config }));
    if (!command.flags.write) {
      command.out(text);
      return 0;
    }
    await writeFileAtomic(resolve(root, PARENT_PIPELINE_PATH), text);
    command.log(`spacktainers: wrote ${resolve(root, PARENT_PIPELINE_PATH)}`);
    return 0;
  },
});
