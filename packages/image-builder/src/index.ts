/**
 * `@spacktainers/image-builder`: decides which images to build, SIFs to upload and Docker Hub
 * copies to push (each decision `{action, reason}`), writes container Dockerfiles, emits the
 * GitLab jobs that build, publish and convert images, and moves SIF files to and from S3.
 * Functions return data; they never print.
 */
export type { BaseImageIdentity, DescribeBaseImageOptions } from "./base-image.js";
export { baseImageBuildArgs, describeBaseImage } from "./base-image.js";
export type { BuildImageJobsOptions, BuildSecret } from "./build-image-jobs.js";
export { buildImageJobs, digestVariable } from "./build-image-jobs.js";
export type {
  BaseImageJobsOptions,
  ContainerJobStages,
  CustomContainerJobsOptions,
  SpackContainerJobsOptions,
} from "./container-jobs.js";
export {
  baseImageJobs,
  baseImageRepository,
  customContainerJobs,
  pinDefinitionSource,
  spackContainerJobs,
} from "./container-jobs.js";
export type { CustomContainerDecision, DecideCustomContainerOptions } from "./decide-custom-container.js";
export { decideCustomContainer } from "./decide-custom-container.js";
export type { DecideDockerHubPushOptions, DockerHubDecision } from "./decide-docker-hub-push.js";
export { DOCKER_HUB_API, decideDockerHubPush, dockerHubCreateUrl } from "./decide-docker-hub-push.js";
export type { DecideImageOptions, DecideSpackContainerOptions, Decision } from "./decide-image.js";
export {
  decideBaseImage,
  decideImage,
  decideSpackContainer,
  OFFLINE_DECISION,
  OFFLINE_REASON,
} from "./decide-image.js";
export type { DecideSifUploadOptions } from "./decide-sif-upload.js";
export { decideSifUpload, headObjectMetadata } from "./decide-sif-upload.js";
export type { DownloadSifOptions } from "./download-sif.js";
export { downloadSif } from "./download-sif.js";
export type { JobArch, RegistryLogin, S3Access } from "./job-options.js";
export { DEFAULT_JOB_IMAGES, GITLAB_REGISTRY_LOGIN, jobArch } from "./job-options.js";
export { DOCKER_HUB_REGISTRY, formatImageReference, parseImageReference } from "./parse-image-reference.js";
export type {
  FetchedManifest,
  ImageInspection,
  InspectImageOptions,
  ManifestBody,
  RegistryClient,
  RegistryClientOptions,
  RegistryCredentialSource,
} from "./registry-client.js";
export { createRegistryClient, MEDIA_TYPES, parseAuthenticateHeader } from "./registry-client.js";
export type {
  RenderContainerDockerfileOptions,
  WriteContainerDockerfileOptions,
} from "./render-container-dockerfile.js";
export {
  BUILD_SECRETS,
  DEFAULT_INSTALL_TREE,
  ENVIRONMENT_DIR,
  installTreeOf,
  renderContainerDockerfile,
  VIEW_ROOT,
  writeContainerDockerfile,
} from "./render-container-dockerfile.js";
export type { DeploySifJobOptions, DockerHubPushJobOptions, SifJobOptions, SifTarget } from "./sif-jobs.js";
export {
  deploySifJob,
  dockerHubPushJob,
  sifJob,
} from "./sif-jobs.js";
export type { UploadSifOptions, UploadSifResult } from "./upload-sif.js";
export { S3_METADATA_KEY, SIF_PART_SIZE_MIB_RANGE, uploadSif } from "./upload-sif.js";
