/**
 * `@spacktainers/cache-janitor`: prunes a Spack binary build cache (layouts v2 and v3, on S3 or
 * in a local folder) safely: a dry-run plan with a reason per object, protection of the specs
 * of given lockfiles, per-key delete errors checked, and the index rewritten afterwards.
 */

export type { ApplyPruneOptions, DeleteKeysOptions, IndexOutcome, PruneResult } from "./apply-prune.js";
export { applyPrune, deleteKeys } from "./apply-prune.js";
export type { AcquireCacheLockOptions, CacheLock, CacheLockRecord } from "./cache-lock.js";
export { acquireCacheLock, LOCK_KEY, readCacheLock } from "./cache-lock.js";
export type { ConfirmListingOptions, ListingCheck } from "./confirm-listing.js";
export { confirmListing, DEFAULT_LISTING_TOLERANCE } from "./confirm-listing.js";
export { formatBytes, formatPlan, formatResult } from "./format-plan.js";
export type { PythonJsonStyle } from "./format-python-json.js";
export {
  detectPythonJsonStyle,
  formatPythonJson,
  PYTHON_COMPACT,
  PYTHON_INDENT_2,
  PYTHON_MANIFEST,
} from "./format-python-json.js";
export { isAlwaysKept } from "./is-always-kept.js";
export type { PendingDeletions } from "./pending-deletions.js";
export { PENDING_KEY, readPendingDeletions } from "./pending-deletions.js";
export type {
  PlannedDeletion,
  PlanPruneOptions,
  ProtectedSpec,
  PrunePlan,
  PruneReason,
  PruneRules,
  ReasonSummary,
} from "./plan-prune.js";
export { PRUNE_REASONS, planPrune } from "./plan-prune.js";
export type {
  KeptSif,
  KeptSifReason,
  PruneSifsOptions,
  ScannedSifBucket,
  SifDeleteError,
  SifPruneResult,
  SifTarget,
  StaleSif,
} from "./prune-sifs.js";
export { formatSifPrune, pruneSifs, sifLocation } from "./prune-sifs.js";
export type {
  BuildCache,
  CacheIndex,
  CacheLayout,
  CacheSpec,
  ManifestEntry,
  OrphanCandidate,
  OrphanKind,
  ReadBuildCacheOptions,
} from "./read-build-cache.js";
export { blobKey, manifestJson, parseManifest, readBuildCache } from "./read-build-cache.js";
export { packageNameOfFolder, readPackageNames } from "./read-package-names.js";
export type { Protection, ReadProtectionOptions } from "./read-protection.js";
export { readProtection } from "./read-protection.js";
export type { DatabaseRecord, IndexedSpec, RewriteDatabaseOptions, SpackDatabase } from "./spack-database.js";
export {
  readIndexedSpecs,
  recordDependencies,
  removeFromDatabase,
  rewriteDatabase,
} from "./spack-database.js";
export type { CacheObject, CacheStorage, DeleteFailure, StorageProgress } from "./storage/cache-storage.js";
export { DELETE_BATCH_SIZE } from "./storage/cache-storage.js";
export { createLocalStorage } from "./storage/local-storage.js";
export type { MemoryObject, MemoryStorage, MemoryStorageOptions } from "./storage/memory-storage.js";
export { createMemoryStorage } from "./storage/memory-storage.js";
export type { OpenStorageOptions } from "./storage/open-storage.js";
export { openStorage } from "./storage/open-storage.js";
export type { S3Storage, S3StorageOptions } from "./storage/s3-storage.js";
export { createS3Storage } from "./storage/s3-storage.js";
