import { defineCommand, OUT_PATHS } from "@spacktainers/core";
import { archFlag, nowFlag, pipelineIdFlag, prepareCommand, rootFlag } from "./preamble.js";

/** `spacktainers containers`: one arch's container pipeline from the concretized locks. */
export const containersCommand = defineCommand({
  name: "containers",
  summary: "Write the container pipeline of one arch from the concretized locks (pipeline A's plan job).",
  usage:
    "containers --arch A [--pipeline-id ID] [--environments DIR] [--out DIR] [--root DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    arch: archFlag,
    environments: {
      type: "string",
      description: "environments with their spack.lock (default out/environments)",
      placeholder: "DIR",
    },
    out: { type: "string", description: "output folder (default out/containers/<A>)", placeholder: "DIR" },
    "pipeline-id": pipelineIdFlag(
      "id of pipeline A, whose plan job the build jobs fetch their context from",
      "container jobs fetch their build context from pipeline A by its id",
    ),
    now: nowFlag,
  },
  async run(command) {
    const { flags, log } = command;
    const { root, config, definitions, arch, ciContext } = await prepareCommand(command);
    const context = await ciContext();
    const [{ onlineClients }, { planContainers, summarizePlan }] = await Promise.all([
      import("../online-clients.js"),
      import("../plan-containers.js"),
    ]);
    const clients = onlineClients({ config, context, env: command.env });
    try {
      const result = await planContainers({
        root,
        arch,
        config,
        definitions,
        context,
        environments: flags.environments ?? `out/${OUT_PATHS.environments}`,
        out: flags.out ?? `out/${OUT_PATHS.containers(arch)}`,
        pipelineId: flags["pipeline-id"],
        clients,
      });
      command.warn(result.warnings);
      if (flags.json) command.json(result.plans.map(summarizePlan));
      else {
        log(
          `spacktainers: ${arch}: ${result.plans.length} containers, ${Object.keys(result.pipeline.jobs).length} jobs`,
        );
        for (const plan of result.plans) {
          for (const [what, decision] of Object.entries(plan.decisions))
            log(
              `  ${plan.name}:${plan.identity?.tag ?? "?"} ${what}: ${decision.action} — ${decision.reason}`,
            );
        }
      }
      return 0;
    } finally {
      await clients.close();
    }
  },
});
