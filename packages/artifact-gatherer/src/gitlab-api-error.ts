import { SpacktainersError } from "@spacktainers/core";

/** Stable codes of the errors the GitLab client throws. */
export type GitlabApiErrorCode =
  /** 401/403: the token cannot read the pipeline. */
  | "GITLAB_AUTH_FAILED"
  /** 404: pipeline, project or job unknown to GitLab. */
  | "GITLAB_NOT_FOUND"
  /** Any other non-retryable status, or retries exhausted. */
  | "GITLAB_REQUEST_FAILED"
  /** A download ended before its announced size. */
  | "GITLAB_DOWNLOAD_TRUNCATED";

/**
 * A GitLab API request failed. The message names the method, the path (never the token) and
 * what GitLab answered; `status` is the last HTTP status seen (undefined after network errors).
 */
export class GitlabApiError extends SpacktainersError {
  /** Last HTTP status, if any response arrived. */
  readonly status: number | undefined;
  /** Attempts made (1 when not retried). */
  readonly attempts: number;

  constructor(options: {
    code: GitlabApiErrorCode;
    message: string;
    status?: number;
    attempts: number;
    cause?: unknown;
  }) {
    super({ code: options.code, message: options.message, cause: options.cause, exitCode: 1 });
    this.name = "GitlabApiError";
    this.status = options.status;
    this.attempts = options.attempts;
  }
}
