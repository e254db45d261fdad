import { resolve } from "node:path";
import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { prepareCommand, withGitlab } from "./preamble.js";
import { PRUNE_FLAGS, skipsArchWithoutSpack } from "./prune-flags.js";

/** `spacktainers prune-branch-cache`: one arch's branch build cache, keeping what live branches use. */
export const pruneBranchCacheCommand = defineCommand({
  name: "prune-branch-cache",
  summary:
    "Prune one arch's branch build cache (cache_bucket.name with a prod_name), keeping what live branches use (a dry-run plan unless --apply).",
  usage:
    "prune-branch-cache --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
  flags: {
    ...PRUNE_FLAGS,
    apply: { type: "boolean", description: "record, delete; without it only the plan is printed" },
  },
  details:
    "Records this branch's locks in the bucket (spacktainers/branch-locks/<slug>/), deletes the records of branches GitLab no longer lists, and prunes with every live branch's locks protected and specs nobody uses older than max_age_days (default 30) deleted.",
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch, ciContext } = await prepareCommand(command);
    if (skipsArchWithoutSpack(command, definitions, arch)) return 0;
    const context = await ciContext();
    const [{ formatPlan, formatResult }, { pruneBranchCache }] = await Promise.all([
      import("@spacktainers/cache-janitor"),
      import("../prune-branch-cache.js"),
    ]);
    return withGitlab(command, config, async (gitlab) => {
      const outcome = await pruneBranchCache({
        root,
        arch,
        config,
        context,
        gitlab,
        env: command.env,
        locks: flags.locks ?? `out/${OUT_PATHS.containers(arch)}`,
        apply: flags.apply,
        force: flags.force,
      });
      const report = resolve(root, flags.report ?? `out/prune-${arch}.json`);
      const { result, ...rest } = outcome;
      const data = { ...rest, result: result ?? null };
      await writeFileAtomic(report, command.mask(`${JSON.stringify(data, null, 2)}\n`));
      if (flags.json) command.json(data);
      else {
        log(
          `spacktainers: ${arch} branch cache: protecting the locks of ${outcome.protectingBranches.join(", ")}; ${outcome.goneBranches.length > 0 ? `records of gone branches ${outcome.goneBranches.join(", ")} ${flags.apply ? "deleted" : "would be deleted"}` : "no record of a gone branch"}`,
        );
        for (const line of result ? formatResult(result) : formatPlan(outcome.plan)) log(line);
        log(`  report: ${report}`);
      }
      return result && result.failed.length > 0 ? 3 : 0;
    });
  },
});
