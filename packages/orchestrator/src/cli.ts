import type { CliSpec } from "@spacktainers/core";
import { containersCommand } from "./commands/containers.js";
import { gatherCommand } from "./commands/gather.js";
import { generateCommand } from "./commands/generate.js";
import { graphCommand } from "./commands/graph.js";
import { parentPipelineCommand } from "./commands/parent-pipeline.js";
import { planCommand } from "./commands/plan.js";
import { planNoteCommand } from "./commands/plan-note.js";
import { pruneCommand } from "./commands/prune.js";
import { pruneBranchCacheCommand } from "./commands/prune-branch-cache.js";
import { removeStaleSifsCommand } from "./commands/remove-stale-sifs.js";
import { splitCommand } from "./commands/split.js";
import { syncSiteSifsCommand } from "./commands/sync-site-sifs.js";
import { validateCommand } from "./commands/validate.js";
import { VERSION } from "./version.js";

/**
 * The `spacktainers` CLI: its commands, each in `commands/<command>.ts` behind one preamble. A
 * command imports its implementation inside `run`, so a command loads only the packages it uses
 * (the build splits dist/ into chunks along those imports).
 */
export const cli: CliSpec = {
  name: "spacktainers",
  version: VERSION,
  description:
    "Turns container_definitions/ into a multi-architecture GitLab CI pipeline (Spack build cache, images, SIFs).",
  commands: [
    generateCommand,
    containersCommand,
    splitCommand,
    gatherCommand,
    removeStaleSifsCommand,
    syncSiteSifsCommand,
    pruneCommand,
    pruneBranchCacheCommand,
    planCommand,
    planNoteCommand,
    validateCommand,
    graphCommand,
    parentPipelineCommand,
  ],
};
