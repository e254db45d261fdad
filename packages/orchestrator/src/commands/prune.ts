import { resolve } from "node:path";
import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { prepareCommand } from "./preamble.js";
import { PRUNE_FLAGS, skipsArchWithoutSpack } from "./prune-flags.js";

/** `spacktainers prune`: one arch's build cache, protecting every spec of this pipeline's locks. */
export const pruneCommand = defineCommand({
  name: "prune",
  summary:
    "Prune one arch's build cache, protecting every spec of this pipeline's locks (a dry-run plan unless --apply).",
  usage: "prune --arch A [--locks DIR] [--report FILE] [--apply] [--force] [--root DIR] [--now ISO] [--json]",
  flags: PRUNE_FLAGS,
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch, ciContext } = await prepareCommand(command);
    if (skipsArchWithoutSpack(command, definitions, arch)) return 0;
    const [{ formatPlan, formatResult }, { pruneArchCache }] = await Promise.all([
      import("@spacktainers/cache-janitor"),
      import("../prune-arch-cache.js"),
    ]);
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
