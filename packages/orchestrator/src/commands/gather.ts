import { defineCommand } from "@spacktainers/core";
import { gitlabConnection, nowFlag, prepareCommand, requireEnv, rootFlag } from "./preamble.js";

/** `spacktainers gather`: pipeline A's split and container pipelines, for the triggers. */
export const gatherCommand = defineCommand({
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
  async run(command) {
    const { flags, log } = command;
    const { root, config } = await prepareCommand(command);
    const { CI_PIPELINE_ID } = requireEnv(command.env, ["CI_PIPELINE_ID"]);
    const { gatherPipelineArtifacts } = await import("../gather-pipeline-artifacts.js");
    const result = await gatherPipelineArtifacts({
      root,
      out: flags.out,
      ...gitlabConnection(command, config),
      pipelineId: CI_PIPELINE_ID!,
      now: flags.now ?? new Date(),
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
    if (flags.json) command.json(result);
    return 0;
  },
});
