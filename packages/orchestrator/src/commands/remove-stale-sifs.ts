import { DELETE_FRACTION_RANGE, defineCommand, numberFlag } from "@spacktainers/core";
import { nowFlag, prepareCommand, rootFlag, withGitlab } from "./preamble.js";

/** `spacktainers remove-stale-sifs`: SIFs of branches that no longer exist. */
export const removeStaleSifsCommand = defineCommand({
  name: "remove-stale-sifs",
  summary: "Delete the SIF files of branches that no longer exist (a dry-run plan unless --apply).",
  usage:
    "remove-stale-sifs [--root DIR] [--apply] [--force] [--max-delete-fraction F] [--assume-tags-without-separator] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    apply: { type: "boolean", description: "delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than --max-delete-fraction of the SIFs" },
    "max-delete-fraction": {
      type: "string",
      description: "refuse to delete a larger share of the SIFs",
      placeholder: "F",
      default: "0.5",
      parse: numberFlag(DELETE_FRACTION_RANGE),
    },
    "assume-tags-without-separator": {
      type: "boolean",
      description:
        "source image tags never hold __: <name>__<a>__<b>__<arch>.sif is branch b's custom SIF, not tag a__b's",
    },
    now: nowFlag,
  },
  async run(command) {
    const { flags, env } = command;
    const { config, ciContext } = await prepareCommand(command);
    const [{ formatSifPrune }, { removeStaleSifs }] = await Promise.all([
      import("@spacktainers/cache-janitor"),
      import("../remove-stale-sifs.js"),
    ]);
    return withGitlab(command, config, async (gitlab) => {
      const context = await ciContext();
      const result = await removeStaleSifs({
        config,
        context,
        gitlab,
        env,
        apply: flags.apply,
        force: flags.force,
        maxDeleteFraction: flags["max-delete-fraction"],
        assumeTagsWithoutSeparator: flags["assume-tags-without-separator"],
        now: context.now,
      });
      if (flags.json) command.json(result);
      for (const line of formatSifPrune(result)) command.log(line);
      return result.errors.length > 0 ? 3 : 0;
    });
  },
});
