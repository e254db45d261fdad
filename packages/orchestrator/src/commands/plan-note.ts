import { defineCommand } from "@spacktainers/core";
import { environmentsFlag, planWithWarnings } from "./plan.js";
import { gitlabConnection, nowFlag, prepareCommand, requireEnv, rootFlag } from "./preamble.js";

/** `spacktainers plan-note`: the plan as one merge-request note, updated in place. */
export const planNoteCommand = defineCommand({
  name: "plan-note",
  summary:
    "Post the plan on the merge request as one note, updated in place on every push (merge-request pipelines).",
  usage: "plan-note [--root DIR] [--environments DIR] [--now ISO] [--json]",
  flags: { root: rootFlag, environments: environmentsFlag, now: nowFlag },
  details:
    "Needs CI_MERGE_REQUEST_IID, CI_API_V4_URL, CI_PROJECT_ID and a token with the api scope in the variable named by ci.api_token_var (default GITLAB_API_TOKEN). Finds its earlier note by a hidden marker and updates it; creates it on the first push.",
  async run(command) {
    const { env } = command;
    const prepared = await prepareCommand(command);
    const { CI_MERGE_REQUEST_IID } = requireEnv(env, ["CI_MERGE_REQUEST_IID"]);
    const connection = gitlabConnection(command, prepared.config);
    const plan = await planWithWarnings(prepared, command);
    const [{ createGitlabClient }, { renderPlanNote }, { upsertMergeRequestNote }] = await Promise.all([
      import("@spacktainers/artifact-gatherer"),
      import("../render-plan-note.js"),
      import("../upsert-merge-request-note.js"),
    ]);
    const body = renderPlanNote({ plan, commit: env.CI_COMMIT_SHA, pipelineUrl: env.CI_PIPELINE_URL });
    const gitlab = createGitlabClient(connection);
    try {
      const result = await upsertMergeRequestNote({ gitlab, mergeRequestIid: CI_MERGE_REQUEST_IID!, body });
      if (command.flags.json) command.json(result);
      else
        command.log(
          `spacktainers: ${result.action} note ${result.noteId} on merge request !${CI_MERGE_REQUEST_IID}`,
        );
      return 0;
    } finally {
      await gitlab.close();
    }
  },
});
