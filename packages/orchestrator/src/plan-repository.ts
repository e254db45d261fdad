import type { CiContext, ContainerDefinition, SiteConfig, Warning } from "@spacktainers/core";
import { OUT_PATHS } from "@spacktainers/core";
import { planBaseImages } from "./generate.js";
import { onlineClients } from "./online-clients.js";
import { decideContainers, summarizePlan } from "./plan-containers.js";

export interface PlanRepositoryOptions {
  /** Repository root. */
  root: string;
  /** Valid site configuration. */
  config: SiteConfig;
  /** Valid definitions. */
  definitions: ContainerDefinition[];
  /** CI context (branch, offline, now). */
  context: CiContext;
  /** Environment the registry and S3 credentials are read from (by the names in the config). */
  env: Record<string, string | undefined>;
  /** Folder of environments with their `spack.lock` (default `out/environments`). */
  environments?: string;
}

/** What `plan` reports: base images and every container × arch with its decisions. */
export type RepositoryPlan = {
  /** True when registry and S3 were not asked (no CI credentials). */
  offline: boolean;
  baseImages: Array<{
    name: string;
    tag: string;
    decision: { action: string; reason: string };
    spackCommit?: string;
  }>;
  containers: Array<ReturnType<typeof summarizePlan>>;
  /** Arches with definitions, in order. */
  arches: string[];
  warnings: Warning[];
};

/**
 * The plan of the whole repository without writing anything: base images, then per arch what
 * would be built, uploaded or pushed and why. `spacktainers plan` prints it; `plan-note` posts it
 * on a merge request.
 */
export async function planRepository(options: PlanRepositoryOptions): Promise<RepositoryPlan> {
  const { root, config, definitions, context, env } = options;
  const arches = [...new Set(definitions.map((definition) => definition.arch))];
  const clients = onlineClients({ config, context, env });
  try {
    const { plans: baseImages, warnings } = await planBaseImages({
      root,
      config,
      context,
      arches,
      registry: clients.registry,
    });
    const containers = [];
    for (const arch of arches) {
      const decided = await decideContainers({
        root,
        arch,
        config,
        definitions,
        context,
        environments: options.environments ?? `out/${OUT_PATHS.environments}`,
        out: `out/${OUT_PATHS.containers(arch)}`,
        // Nothing is written: the plan only needs the decisions.
        pipelineId: "plan",
        clients,
        missingLocks: "report",
      });
      containers.push(...decided.plans.map(summarizePlan));
      // The container decisions' own warnings (a Docker Hub repository that does not exist).
      warnings.push(...decided.warnings);
    }
    return {
      offline: context.offline,
      baseImages: baseImages.map(({ name, tag, decision, spackCommit }) => ({
        name,
        tag,
        decision,
        ...(spackCommit ? { spackCommit } : {}),
      })),
      containers,
      arches,
      warnings,
    };
  } finally {
    await clients.close();
  }
}

/** The plan as table rows (header first) and "why" lines, for the terminal and for notes. */
export function planRows(plan: RepositoryPlan): { rows: string[][]; reasons: string[] } {
  const mark = (decision?: { action: string }) => decision?.action ?? "-";
  const rows = [["CONTAINER", "ARCH", "KIND", "TAG", "IMAGE", "SIF", "DOCKER HUB"]];
  for (const base of plan.baseImages)
    rows.push([
      `(base) ${base.name}`,
      plan.arches.join(","),
      "base",
      base.tag,
      mark(base.decision),
      "-",
      "-",
    ]);
  for (const container of plan.containers)
    rows.push([
      container.name,
      container.arch,
      container.kind,
      container.tag ?? "?",
      mark(container.decisions.image),
      mark(container.decisions.sif),
      mark(container.decisions.dockerHub),
    ]);
  const reasons: string[] = [];
  for (const base of plan.baseImages) reasons.push(`(base) ${base.name}: ${base.decision.reason}`);
  for (const container of plan.containers)
    for (const [what, decision] of Object.entries(container.decisions))
      reasons.push(`${container.name} (${container.arch}) ${what}: ${decision.reason}`);
  return { rows, reasons };
}
