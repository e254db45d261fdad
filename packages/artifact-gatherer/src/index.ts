/**
 * `@spacktainers/artifact-gatherer`: fetches the artifacts of a child pipeline's jobs through
 * the GitLab API (GitLab cannot pass a child's artifacts to its parent) — paged, retried,
 * streamed to disk and extracted safely.
 */

export type { ExtractedFile, ExtractZipSafelyOptions } from "./extract-zip-safely.js";
export { extractZipSafely } from "./extract-zip-safely.js";
export type {
  DownstreamJob,
  DownstreamJobs,
  FindDownstreamJobsOptions,
  GitlabBridgeResponse,
  GitlabJobResponse,
} from "./find-downstream-jobs.js";
export { findDownstreamJobs } from "./find-downstream-jobs.js";
export type {
  GatherArtifactsOptions,
  GatheredFile,
  GatheredJob,
  GatherProgressEvent,
  GatherResult,
  GatherTarget,
} from "./gather-artifacts.js";
export { ARCHIVE_FILE_NAME, DEFAULT_MAX_EXTRACTED_BYTES, gatherArtifacts } from "./gather-artifacts.js";
export type { GitlabApiErrorCode } from "./gitlab-api-error.js";
export { GitlabApiError } from "./gitlab-api-error.js";
export type { DownloadResult, GitlabClient, GitlabClientOptions, GitlabRetryEvent } from "./gitlab-client.js";
export { createGitlabClient, parseNextLink } from "./gitlab-client.js";
export type { DotenvVariable } from "./render-dotenv.js";
export { renderDotenv } from "./render-dotenv.js";
export type { ResolvedToken, ResolveGitlabTokenOptions } from "./resolve-gitlab-token.js";
export { DEFAULT_TOKEN_VARIABLE, resolveGitlabToken } from "./resolve-gitlab-token.js";
