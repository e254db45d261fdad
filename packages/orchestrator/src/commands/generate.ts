import { credentialVariableNames, defineCommand } from "@spacktainers/core";
import { loadSiteConfig } from "@spacktainers/definitions-parser";
import { contextFromEnv } from "../ci-context-from-env.js";
import { commandRoot, nowFlag, rootFlag } from "./preamble.js";

/** `spacktainers generate`: pipeline A and the Spack environments. */
export const generateCommand = defineCommand({
  name: "generate",
  summary: "Write child pipeline A and the Spack environments for every active architecture.",
  usage: "generate [--root DIR] [--out DIR] [--now ISO] [--json]",
  flags: {
    root: rootFlag,
    out: {
      type: "string",
      description: "output folder inside the repository",
      placeholder: "DIR",
      default: "out",
    },
    now: nowFlag,
  },
  details:
    "Offline (no CI variables), registry and S3 are not asked: every base image is planned for building.",
  async run({ flags, env, cwd, log, warn, json, maskVariables }) {
    // Not the shared preamble: generate reports every problem of config and definitions
    // itself, so it loads the config alone here.
    const root = commandRoot({ cwd, flags });
    const context = await contextFromEnv({ env, root, now: flags.now });
    const site = await loadSiteConfig({ root });
    const [{ generate }, { onlineClients }] = await Promise.all([
      import("../generate.js"),
      import("../online-clients.js"),
    ]);
    if (site.value) maskVariables(credentialVariableNames(site.value));
    const clients = site.value ? onlineClients({ config: site.value, context, env }) : undefined;
    let result: Awaited<ReturnType<typeof generate>>;
    try {
      result = await generate({
        root,
        out: flags.out,
        context,
        ...(clients?.registry ? { registry: clients.registry } : {}),
      });
    } finally {
      await clients?.close();
    }
    warn(result.warnings);
    if (flags.json) {
      json({
        ...result,
        definitions: result.definitions.map(({ name, arch, kind }) => ({ name, arch, kind })),
      });
      return 0;
    }
    const perArch = result.arches
      .map((arch) => `${arch}: ${result.definitions.filter((d) => d.arch === arch).length}`)
      .join(", ");
    log(
      `spacktainers: ${result.definitions.length} containers (${perArch}), ${result.jobCount} jobs in pipeline A, branch ${context.refName}${context.isProd ? " (default branch)" : ""}`,
    );
    for (const base of result.baseImages)
      log(`  base image ${base.name}:${base.tag} — ${base.decision.action}: ${base.decision.reason}`);
    log(
      `  wrote ${result.files.length} files under ${result.out}/ (pipeline.yml, gather.json, environments/)`,
    );
    if (result.offline)
      log(
        "  offline: registry and S3 checks were skipped (no CI credentials); everything is planned as 'build'",
      );
    return 0;
  },
});
