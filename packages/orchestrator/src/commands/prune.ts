import { resolve } from "node:path";
import { formatPlan, formatResult } from "@spacktainers/cache-janitor";
import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { pruneArchCache } from "../prune-arch-cache.js";
import { archFlag, nowFlag, prepareCommand, rootFlag } from "./preamble.js";

/** `spacktainers prune`: one arch's build cache, protecting every spec of this pipeline's locks. */
export const pruneCommand = defineCommand({
  name: "prune",
  summary:
    "Prune one arch's build cache, protecting every spec of this pipeline's locks (a dry-run plan unless --apply).",
  usage: "prune --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
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
    apply: { type: "boolean", description: "delete; without it only the plan is printed" },
    force: { type: "boolean", description: "allow deleting more than half of the cache" },
    now: nowFlag,
  },
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch, ciContext } = await prepareCommand(command);
    if (!definitions.some((definition) => definition.arch === arch && definition.kind === "spack")) {
      // No Spack container: no lock protects anything this pipeline uses, so pruning would judge
      // the cache blind. The cache of such an arch is left alone (prune it with the janitor).
      log(`spacktainers: ${arch} has no Spack container; its build cache is not pruned`);
      if (flags.json) command.json({ skipped: true, arch });
      return 0;
    }
    const { plan, result, keepLocks, packageLists } = await pruneArchCache({
      root,
      arch,
      config,
      context: await ciContext(),
      env: command.env,
      locks: flags.locks ?? `out/${OUT_PATHS.containers(arch)}`,
      apply: flags.apply,
      force: flags.force,
    });
    const report = resolve(root, flags.report ?? `out/prune-${arch}.json`);
    await writeFileAtomic(
      report,
      command.mask(`${JSON.stringify({ keepLocks, packageLists, plan, result: result ?? null }, null, 2)}\n`),
    );
    if (flags.json) command.json({ keepLocks, packageLists, plan, result: result ?? null });
    else {
      log(
        `spacktainers: ${arch}: protecting ${keepLocks.length} locks; ${packageLists.length > 0 ? `specs of packages in none of ${packageLists.length} package lists of the builder are removed` : "no package list of the builder (removed-package rule off)"}`,
      );
      for (const line of result ? formatResult(result) : formatPlan(plan)) log(line);
      log(`  report: ${report}`);
    }
    return result && result.failed.length > 0 ? 3 : 0;
  },
});
