import type { CommandIo, ContainerDefinition, FlagTable } from "@spacktainers/core";
import { archFlag, nowFlag, rootFlag } from "./preamble.js";

/** The flags `prune` and `prune-branch-cache` share. */
export const PRUNE_FLAGS = {
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
} as const satisfies FlagTable;

/**
 * True (after saying so) when the arch has no Spack container: no lock protects anything this
 * pipeline uses, so pruning would judge the cache blind. Such a cache is left alone (prune it
 * with the janitor).
 */
export function skipsArchWithoutSpack(
  command: Pick<CommandIo, "log" | "json"> & { flags: { json: boolean } },
  definitions: readonly ContainerDefinition[],
  arch: string,
): boolean {
  if (definitions.some((definition) => definition.arch === arch && definition.kind === "spack")) return false;
  command.log(`spacktainers: ${arch} has no Spack container; its build cache is not pruned`);
  if (command.flags.json) command.json({ skipped: true, arch });
  return true;
}
