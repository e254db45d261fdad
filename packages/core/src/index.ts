/**
 * `@spacktainers/core`: the typed model, schemas, naming rules, checksums, errors and the GitLab
 * pipeline model every spacktainers package shares. Pure functions only; Node helpers that
 * touch the filesystem or the process are in `@spacktainers/core/node`.
 */
export { SpacktainersError, formatLocation, formatProblem } from "./errors/spacktainers-error.js";
export type {
  Problem,
  SourceLocation,
  SpacktainersErrorOptions,
  Warning,
} from "./errors/spacktainers-error.js";
export { InputInvalidError, UsageError } from "./errors/input-invalid-error.js";
export { ExitError } from "./errors/exit-error.js";
export { MASK, collectSecretValues, createSecretMasker, isSecretName } from "./errors/mask-secrets.js";
export type { SecretMasker } from "./errors/mask-secrets.js";

export type { CiContext, ReadCiContextOptions } from "./model/ci-context.js";
export { readCiContext, slugifyRef } from "./model/ci-context.js";
export type {
  ArchitectureConfig,
  BucketConfig,
  ContainersBucketConfig,
  CredentialsConfig,
  DockerHubConfig,
  RegistryConfig,
  SifDeployConfig,
  SiteConfig,
  SpackConfig,
} from "./model/site-config.js";
export { bucketName, credentialVariableNames } from "./model/site-config.js";
export type {
  ContainerDefinition,
  ContainerFile,
  CustomContainerDefinition,
  ImageReference,
  SpackContainerDefinition,
} from "./model/container-definition.js";

export {
  SPACK_ENVIRONMENT_KEYS,
  definitionFileSchema,
  siteConfigSchema,
  spackEnvironmentFileSchema,
  spacktainerFileSchema,
} from "./config/schemas.js";
export { parseYaml, parseYamlWithSchema } from "./config/parse-yaml.js";
export type { ParsedYaml, ParseYamlOptions } from "./config/parse-yaml.js";
export { SITE_CONFIG_PATH, parseSiteConfig } from "./config/parse-site-config.js";
export type { ParseSiteConfigOptions } from "./config/parse-site-config.js";

export { naturalCompare, naturalSort } from "./naming/natural-compare.js";
export { containerChecksum, lockChecksum, sha256Hex, treeChecksum } from "./naming/checksums.js";
export type { ChecksumEntry } from "./naming/checksums.js";
export {
  BASE_IMAGE_TAG_LENGTH,
  CONTAINER_NAME_PATTERN,
  TAG_SEPARATOR,
  baseImageTag,
  customContainerTag,
  imageReference,
  sifFileName,
  sifObjectKey,
  spackContainerTag,
} from "./naming/names.js";

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
  GITLAB_LIMITS,
  INFRASTRUCTURE_FAILURE_REASONS,
  infrastructureRetry,
} from "./pipeline/gitlab-limits.js";
export { checkPipeline, renderPipelineYaml, renderYaml } from "./pipeline/render-pipeline-yaml.js";

export { defineCommand, formatHelp, runCli } from "./cli/define-cli.js";
export type {
  CliIo,
  CliSpec,
  CommandContext,
  CommandSpec,
  FlagSpec,
  FlagTable,
  FlagValues,
} from "./cli/define-cli.js";
