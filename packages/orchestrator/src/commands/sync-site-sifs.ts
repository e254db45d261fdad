import { resolve } from "node:path";
import { DELETE_FRACTION_RANGE, defineCommand, numberFlag } from "@spacktainers/core";
import { nowFlag, prepareCommand, rootFlag, withGitlab } from "./preamble.js";

/** `spacktainers sync-site-sifs`: the site copy of the SIFs kept in step with the buckets. */
export const syncSiteSifsCommand = defineCommand({
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
      parse: numberFlag(DELETE_FRACTION_RANGE),
    },
    now: nowFlag,
  },
  details:
    "Compares each SIF of a live branch, tag or the default branch with the site copy by the object metadata recorded beside it (.<file>.metadata.json); runs on the sif_deploy runner in every pipeline.",
  async run(command) {
    const { flags, env, cwd } = command;
    const { config, ciContext } = await prepareCommand(command);
    const [{ formatSifPrune }, { formatSiteSync, syncSiteSifs }] = await Promise.all([
      import("@spacktainers/cache-janitor"),
      import("../sync-site-sifs.js"),
    ]);
    return withGitlab(command, config, async (gitlab) => {
      const context = await ciContext();
      const result = await syncSiteSifs({
        config,
        context,
        gitlab,
        env,
        ...(flags.directory ? { directory: resolve(cwd, flags.directory) } : {}),
        apply: flags.apply,
        force: flags.force,
        maxDeleteFraction: flags["max-delete-fraction"],
        now: context.now,
      });
      if (flags.json) command.json(result);
      for (const line of [...formatSiteSync(result), ...formatSifPrune(result.cleanup)]) command.log(line);
      return result.cleanup.errors.length > 0 ? 3 : 0;
    });
  },
});
