import { resolve } from "node:path";
import { formatPlan, formatResult } from "@spacktainers/cache-janitor";
import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { pruneBranchCache } from "../prune-branch-cache.js";
import { archFlag, nowFlag, prepareCommand, rootFlag, withGitlab } from "./preamble.js";

/** `spacktainers prune-branch-cache`: one arch's branch build cache, keeping what live branches use. */
export const pruneBranchCacheCommand = defineCommand({
  name: "prune-branch-cache",
  summary:
    "Prune one arch's branch build cache (cache_bucket.name with a prod_name), keeping what live branches use (a dry-run plan unless --apply).",
  usage:
    "prune-branch-cache --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    arch: archFlag,
    locks: {
      type: "string",
      description: "folder of <container>/spack.lock (default out/containers/<A>)",
      placeholder: "DIR",
    },
    report: {
      type: "string",
      description: "write the plan or result as JSON here (default out/prune-<A>.json)",
      placeholder: "FILE",
    },
    apply: { type: "boolean", description: "record, delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than half of the cache" },
    now: nowFlag,
  },
  details:
    "Records this branch's locks in the bucket (spacktainers/branch-locks/<slug>/), deletes the records of branches GitLab no longer lists, and prunes with every live branch's locks protected and specs nobody uses older than max_age_days (default 30) deleted.",
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch, ciContext } = await prepareCommand(command);
    if (!definitions.some((definition) => definition.arch === arch && definition.kind === "spack")) {
      log(`spacktainers: ${arch} has no Spack container; its build cache is not pruned`);
      if (flags.json) command.json({ skipped: true, arch });
      return 0;
    }
    const context = await ciContext();
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
