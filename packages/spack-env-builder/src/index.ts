/**
 * `@spacktainers/spack-env-builder`: writes one Spack environment per container and
 * architecture (site template + definition + the arch's requirement, build cache and runners),
 * reads Spack lockfiles, and describes each container's identity (version, tag, SIF, checksums,
 * labels). Functions return data and warnings; they never print.
 */
export type { SpackLock, SpackLockDependency, SpackLockRoot, SpackLockSpec } from "@spacktainers/core";
export { parseSpackLock } from "@spacktainers/core";
export type {
  BuildSpackEnvironmentOptions,
  EnvironmentSources,
  SpackEnvironment,
} from "./build-spack-environment.js";
export {
  BUILD_CACHE_MIRROR,
  buildSpackEnvironment,
  composeSpackEnvironment,
} from "./build-spack-environment.js";
export type { MergeSource, MergeSpackSectionsOptions, SectionPath } from "./merge-spack-sections.js";
export { concatUnique, mergeSpackSections, requirementList } from "./merge-spack-sections.js";
export type { ReadSpackLockFileOptions } from "./read-spack-lock-file.js";
export { readSpackLockFile } from "./read-spack-lock-file.js";
export type {
  BuildSpackEnvironmentsOptions,
  BuildSpackEnvironmentsResult,
  WriteSpackEnvironmentsOptions,
  WriteSpackEnvironmentsResult,
} from "./write-spack-environments.js";
export { buildSpackEnvironments, writeSpackEnvironments } from "./write-spack-environments.js";
