/**
 * `@spacktainers/core`: the typed model, schemas, naming rules, checksums, errors and the GitLab
 * pipeline model every spacktainers package shares. Pure functions only; Node helpers that
 * touch the filesystem or the process are in `@spacktainers/core/node`.
 */

export { mapWithConcurrency } from "./async/map-with-concurrency.js";
export type {
  CliIo,
  CliSpec,
  CommandContext,
  CommandIo,
  CommandSpec,
  FlagSpec,
  FlagTable,
  FlagValue,
  FlagValues,
} from "./cli/define-cli.js";
export { defineCommand, formatHelp, invocationOf, runCli } from "./cli/define-cli.js";
export type { KeyValueRule, NumberRange } from "./cli/flag-parsers.js";
export {
  checkNumberRange,
  choiceFlag,
  dateFlag,
  describeNumberRange,
  durationFlag,
  keyValueFlag,
  numberFlag,
} from "./cli/flag-parsers.js";
export { parseUrlFlag, urlFlag } from "./cli/parse-url-flag.js";
export { S3_ENDPOINT_VARIABLE, s3EndpointFlag } from "./cli/s3-endpoint-flag.js";
export { formatBytes, INPUT_LIMITS } from "./config/input-limits.js";
export { DELETE_FRACTION_RANGE } from "./config/option-ranges.js";
export type { ParseSiteConfigOptions } from "./config/parse-site-config.js";
export { parseSiteConfig, proxyVariables, SITE_CONFIG_PATH } from "./config/parse-site-config.js";
export type { ParsedYaml, ParseYamlOptions } from "./config/parse-yaml.js";
export { parseYaml, parseYamlWithSchema } from "./config/parse-yaml.js";
export {
  definitionFileSchema,
  SPACK_ENVIRONMENT_KEYS,
  siteConfigSchema,
  spackEnvironmentFileSchema,
  spacktainerFileSchema,
} from "./config/schemas.js";
export type { ErrorCode } from "./errors/error-codes.js";
export { InputInvalidError, UsageError } from "./errors/input-invalid-error.js";
export type { SecretMasker } from "./errors/mask-secrets.js";
export {
  collectSecretValues,
  createSecretMasker,
  isSecretName,
  MASK,
  SECRET_NAME_PARTS,
} from "./errors/mask-secrets.js";
export type {
  Problem,
  SourceLocation,
  SpacktainersErrorOptions,
  Warning,
} from "./errors/spacktainers-error.js";
export { formatLocation, formatProblem, SpacktainersError } from "./errors/spacktainers-error.js";
export type { CiContext, ReadCiContextOptions } from "./model/ci-context.js";
export { readCiContext, slugifyRef } from "./model/ci-context.js";
export type {
  ContainerDefinition,
  ContainerFile,
  CustomContainerDefinition,
  ImageReference,
  SpackContainerDefinition,
} from "./model/container-definition.js";
export type {
  ArchitectureConfig,
  BucketConfig,
  CiJobsConfig,
  ContainersBucketConfig,
  CredentialsConfig,
  DockerHubConfig,
  ProxyConfig,
  RegistryConfig,
  SifDeployConfig,
  SiteConfig,
  SpackConfig,
  SpackPackageRepository,
} from "./model/site-config.js";
export { bucketName, credentialVariableNames } from "./model/site-config.js";
export { BASE_IMAGE_NAMES, type BaseImageName } from "./naming/base-image-names.js";
export type { ChecksumEntry } from "./naming/checksums.js";
export { containerChecksum, lockChecksum, sha256Hex, treeChecksum } from "./naming/checksums.js";
export { closestName, editDistance } from "./naming/closest-name.js";
export type {
  BaseImageDigests,
  ContainerIdentity,
  DescribeContainerOptions,
} from "./naming/describe-container.js";
export { describeContainer, findMainPackageRoot } from "./naming/describe-container.js";
export type { BaseImageLabelsOptions } from "./naming/labels.js";
export {
  baseImageLabels,
  compareLabels,
  identityLabels,
  LABELS,
  SIF_METADATA,
  singularityVersion,
} from "./naming/labels.js";
export type { SiteSifRecord } from "./naming/names.js";
export {
  BASE_IMAGE_TAG_LENGTH,
  baseImageTag,
  CONTAINER_NAME_PATTERN,
  customContainerTag,
  expandRegistryImage,
  imageReference,
  imageRepository,
  sifFileName,
  sifObjectKey,
  siteSifRecordFileName,
  spackContainerTag,
  TAG_SEPARATOR,
} from "./naming/names.js";
export { naturalCompare, naturalSort } from "./naming/natural-compare.js";
export { DEFAULT_TAG, parseImageReference } from "./naming/parse-image-reference.js";
export type { ReadSifNameOptions, SifNameReading } from "./naming/read-sif-name.js";
export { KNOWN_ARCHITECTURES, readSifName, sifNameParts } from "./naming/read-sif-name.js";
export {
  GITLAB_LIMITS,
  INFRASTRUCTURE_FAILURE_REASONS,
  infrastructureRetry,
} from "./pipeline/gitlab-limits.js";
export { inGatherArtifact, JOB_NAMES, OUT_PATHS } from "./pipeline/job-names.js";
export type {
  GitlabArtifacts,
  GitlabImage,
  GitlabJob,
  GitlabNeed,
  GitlabPipeline,
  GitlabRetry,
  GitlabRule,
  GitlabScriptJob,
  GitlabTriggerJob,
} from "./pipeline/pipeline-model.js";
export { isTriggerJob } from "./pipeline/pipeline-model.js";
export {
  checkPipeline,
  orderJobKeys,
  renderPipelineYaml,
  renderYaml,
} from "./pipeline/render-pipeline-yaml.js";
export {
  archRunners,
  type RunnerJobSpec,
  type Runners,
  runnerJob,
  siteDeployRunners,
  toolRunners,
} from "./pipeline/runner-job.js";
export {
  architectureTemplateName,
  architectureTemplates,
  type JobTemplate,
  type ShareJobSettingsOptions,
  shareJobSettings,
} from "./pipeline/share-job-settings.js";
export { TOOLS_SETUP } from "./pipeline/tools-setup.js";
export type {
  ParseSpackLockOptions,
  SpackLock,
  SpackLockArch,
  SpackLockCompiler,
  SpackLockDependency,
  SpackLockRoot,
  SpackLockSpec,
} from "./spack/parse-spack-lock.js";
export { parseSpackLock, SUPPORTED_LOCKFILE_VERSIONS } from "./spack/parse-spack-lock.js";
