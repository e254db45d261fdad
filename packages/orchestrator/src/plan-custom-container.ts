import { type CustomContainerDefinition, describeContainer } from "@spacktainers/core";
import {
  type CustomContainerDecision,
  customContainerJobs,
  decideCustomContainer,
  pinDefinitionSource,
} from "@spacktainers/image-builder";
import { CONTAINER_STAGES, type ContainerPlanContext } from "./container-plan-context.js";
import { decideOrBuild } from "./decide-or-build.js";
import type { PlannedContainer } from "./plan-containers.js";

/**
 * One custom (`.def`) container of an arch: its identity, the SIF decision (source image and
 * SIF checked together), the `.def` pinned to the source digest, and its jobs when it builds.
 */
export async function planCustomContainer(
  { arch, config, context, clients, outRelative, bases, fromPlan }: ContainerPlanContext,
  definition: CustomContainerDefinition,
): Promise<PlannedContainer> {
  const identity = await describeContainer({ definition, context, config, arch });
  const s3 = clients.s3?.(arch);
  const decision: CustomContainerDecision = await decideOrBuild(() =>
    decideCustomContainer({
      ...(clients.registry ? { client: clients.registry } : {}),
      ...(s3 ? { s3 } : {}),
      offline: context.offline,
      source: definition.source.original,
      arch,
      checksum: definition.checksum,
      bucket: identity.sifBucket,
      key: identity.sifObjectKey,
    }),
  );
  const pinned = decision.sourceDigest
    ? pinDefinitionSource(
        definition.text,
        `${definition.source.original.split("@")[0]}@${decision.sourceDigest}`,
      )
    : definition.text;
  return {
    plan: { name: definition.name, arch, kind: "custom", identity, decisions: { sif: decision } },
    files: { [`${definition.name}.def`]: pinned },
    jobs:
      decision.action === "build"
        ? customContainerJobs({
            config,
            identity,
            definitionFile: `${outRelative}/${definition.name}/${definition.name}.def`,
            ...(decision.sourceDigest ? { sourceDigest: decision.sourceDigest } : {}),
            singularitah: bases.singularitah,
            stages: CONTAINER_STAGES,
            needs: fromPlan,
          })
        : {},
    warnings: [],
  };
}
