import { type CommandIo, defineCommand, type FlagSpec } from "@spacktainers/core";
import { nowFlag, type PreparedCommand, prepareCommand, rootFlag } from "./preamble.js";

/** `--environments DIR` of `plan` and `plan-note`. */
export const environmentsFlag = {
  type: "string",
  description: "environments with spack.lock files (default out/environments)",
  placeholder: "DIR",
} as const satisfies FlagSpec;

/** The plan of `plan` and `plan-note`, its warnings printed. */
export async function planWithWarnings(
  { root, config, definitions, ciContext }: PreparedCommand<object>,
  command: Pick<CommandIo, "env" | "warn"> & { flags: { environments?: string | undefined } },
) {
  const { planRepository } = await import("../plan-repository.js");
  const plan = await planRepository({
    root,
    config,
    definitions,
    context: await ciContext(),
    env: command.env,
    ...(command.flags.environments ? { environments: command.flags.environments } : {}),
  });
  command.warn(plan.warnings);
  return plan;
}

function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join("  ")
      .trimEnd(),
  );
}

/** `spacktainers plan`: per container and arch, what will be built, uploaded or pushed, and why. */
export const planCommand = defineCommand({
  name: "plan",
  summary: "Show, per container and architecture, what will be built, uploaded or pushed, and why.",
  usage: "plan [--root DIR] [--environments DIR] [--now ISO] [--json]",
  flags: { root: rootFlag, environments: environmentsFlag, now: nowFlag },
  details:
    "Without spack.lock files (before concretization) Spack containers show 'not concretized yet'. Offline, nothing is checked and everything is 'build'.",
  async run(command) {
    const plan = await planWithWarnings(await prepareCommand(command), command);
    if (command.flags.json) {
      command.json({ offline: plan.offline, baseImages: plan.baseImages, containers: plan.containers });
      return 0;
    }
    const { planRows } = await import("../plan-repository.js");
    const { rows, reasons } = planRows(plan);
    command.out(`${formatTable(rows).join("\n")}\n\nWhy:\n`);
    for (const reason of reasons) command.out(`  ${reason}\n`);
    return 0;
  },
});
