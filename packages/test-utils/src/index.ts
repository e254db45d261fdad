/** Test helpers: real services on loopback, temp-dir fixtures and bin runners. Private package. */

export { startDockerHubDouble } from "./docker-hub-double.js";
export { freePort } from "./free-port.js";
export type {
  GitlabApiDouble,
  GitlabApiDoubleState,
  GitlabDoubleArchive,
  GitlabDoubleBridge,
  GitlabDoubleJob,
  GitlabDoubleMergeRequest,
  GitlabDoubleNote,
  GitlabDoublePipeline,
  GitlabDoubleRequest,
} from "./gitlab-api-double.js";
export { startGitlabApiDouble } from "./gitlab-api-double.js";
export type { ArtifactZipEntry, GeneratedZipEntry } from "./gitlab-artifact-zip.js";
export { crc32, createArtifactZip, generatedZipLength, streamGeneratedZip } from "./gitlab-artifact-zip.js";
export type { GitlabCiLocalJob, GitlabCiLocalResult, ValidateGitlabCiOptions } from "./gitlab-ci-local.js";
export {
  GITLAB_CI_LOCAL_BIN,
  gitlabCiFailures,
  validateGitlabCi,
  validateGitlabCiYaml,
} from "./gitlab-ci-local.js";
export type { HttpProxy } from "./http-proxy.js";
export { startHttpProxy } from "./http-proxy.js";
export type { OciRegistry, StartOciRegistryOptions } from "./oci-registry.js";
export { DOCKER_REGISTRY_BINARY, OCI_REGISTRY_TEST_CREDENTIALS, startOciRegistry } from "./oci-registry.js";
export type {
  PushedImage,
  PushedMultiArchImage,
  PushMultiArchImageOptions,
  PushTestImageOptions,
} from "./push-test-image.js";
export { pushMultiArchImage, pushTestImage } from "./push-test-image.js";
export type { BinResult, RunBinOptions } from "./run-bin.js";
export { REPO_ROOT, runBin } from "./run-bin.js";
export type { S3Connection, S3Server, StartS3ServerOptions } from "./s3-server.js";
export { createS3Client, startS3Server } from "./s3-server.js";
export type { FileTree } from "./temp-dir.js";
export { createTempDir, useTempDir, writeTree } from "./temp-dir.js";
export type { WaitForOptions } from "./wait-for.js";
export { waitFor } from "./wait-for.js";
