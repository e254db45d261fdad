/** Test helpers: real services on loopback, temp-dir fixtures and bin runners. Private package. */
export { REPO_ROOT, runBin } from "./run-bin.js";
export type { BinResult, RunBinOptions } from "./run-bin.js";
export { createTempDir, useTempDir, writeTree } from "./temp-dir.js";
export type { FileTree } from "./temp-dir.js";
export {
  GITLAB_CI_LOCAL_BIN,
  gitlabCiFailures,
  validateGitlabCi,
  validateGitlabCiYaml,
} from "./gitlab-ci-local.js";
export type { GitlabCiLocalJob, GitlabCiLocalResult, ValidateGitlabCiOptions } from "./gitlab-ci-local.js";
