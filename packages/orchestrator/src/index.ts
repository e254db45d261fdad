/**
 * `@spacktainers/orchestrator`: the whole spacktainers pipeline from one folder of definitions.
 * The `spacktainers` bin is a thin layer over these functions.
 */
export type { BaseImageJobs, BuildGenerationPipelineOptions } from "./build-generation-pipeline.js";
export { buildGenerationPipeline, gatherManifest } from "./build-generation-pipeline.js";
export type { BuildParentPipelineOptions } from "./build-parent-pipeline.js";
export { buildParentPipeline } from "./build-parent-pipeline.js";
export { checkParentPipeline, PARENT_PIPELINE_PATH, parentPipelineDrift } from "./check-parent-pipeline.js";
export { contextFromEnv, currentGitBranch } from "./ci-context-from-env.js";
export { decideOrBuild } from "./decide-or-build.js";
export type { GatherManifest, GatherPipelineArtifactsOptions } from "./gather-pipeline-artifacts.js";
export { gatherPipelineArtifacts } from "./gather-pipeline-artifacts.js";
export type { BaseImagePlan, GenerateOptions, GenerateResult } from "./generate.js";
export { generate, planBaseImages } from "./generate.js";
export { onlineClients } from "./online-clients.js";
export type { ContainerPlan, PlanClients, PlanContainersOptions } from "./plan-containers.js";
export { decideContainers, planContainers, summarizePlan } from "./plan-containers.js";
export type { PruneArchCacheOptions } from "./prune-arch-cache.js";
export { pruneArchCache } from "./prune-arch-cache.js";
export type { RemoveStaleSifsOptions, RemoveStaleSifsResult } from "./remove-stale-sifs.js";
export { removeStaleSifs, sifBucketTargets } from "./remove-stale-sifs.js";
export { renderParentPipeline } from "./render-parent-pipeline.js";
export type { GraphFormat } from "./render-pipeline-graph.js";
export { pipelineEdges, renderPipelineGraph } from "./render-pipeline-graph.js";
export type { SplitArchPipelineOptions } from "./split-arch-pipeline.js";
export { splitArchPipeline } from "./split-arch-pipeline.js";
