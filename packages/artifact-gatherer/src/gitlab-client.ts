import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { SpacktainersError } from "@spacktainers/core";
import { createHttpDispatcher } from "@spacktainers/core/net";
import { request } from "undici";
import { GitlabApiError, type GitlabApiErrorCode } from "./gitlab-api-error.js";

/** GitLab caps `per_page` at 100 (REST API docs, "Pagination"). */
const PER_PAGE = 100;
/** Guard against a server that keeps announcing a next page. */
const MAX_PAGES = 10_000;
/** Statuses after which a request is retried with backoff. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/** One retry the client is about to make; passed to `onRetry` so a CLI can log it. */
export type GitlabRetryEvent = {
  /** `GET /projects/1/pipelines/2/jobs?page=3`: never a token, never a presigned query. */
  request: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** Why it failed: `HTTP 429`, `HTTP 502`, or a network error message. */
  reason: string;
  /** How long the client waits before the next attempt. */
  delayMs: number;
};

export interface GitlabClientOptions {
  /** API base URL, `CI_API_V4_URL` (e.g. `https://gitlab.example.com/api/v4`). */
  apiUrl: string;
  /** Project id or `group/project` path, `CI_PROJECT_ID`. */
  projectId: string;
  /** Project or personal access token with `read_api`; sent as `PRIVATE-TOKEN` to the API origin only. */
  token: string;
  /** Per-request timeout for the response headers and for body inactivity (default 60 s). */
  timeoutMs?: number;
  /** Attempts per request including the first (default 6). */
  maxAttempts?: number;
  /** First backoff delay (default 500 ms); doubles per attempt, "equal jitter". */
  baseDelayMs?: number;
  /** Largest backoff delay (default 30 s). */
  maxDelayMs?: number;
  /** Largest `Retry-After` honoured (default 5 min); longer values are cut to it. */
  maxRetryAfterMs?: number;
  /** Redirects followed by downloads (default 5). */
  maxRedirects?: number;
  /** Waits; injected by tests to record delays instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for jitter; injected by tests. */
  random?: () => number;
  /** Called before each retry (libraries never print: the CLI decides). */
  onRetry?: (event: GitlabRetryEvent) => void;
  /**
   * Environment holding `HTTP(S)_PROXY` / `NO_PROXY` (either case), read for the API and for
   * artifact downloads (object storage may be another host). Default `{}`: direct.
   */
  env?: Record<string, string | undefined>;
}

/** Result of a download: bytes written and their sha256, computed while streaming. */
export type DownloadResult = { bytes: number; sha256: string };

/** A small GitLab v4 client: paged JSON listing and streamed downloads, both retried. */
export type GitlabClient = {
  /** The project-scoped base, e.g. `https://gitlab.example.com/api/v4/projects/group%2Fproject`. */
  readonly projectUrl: string;
  /**
   * GETs every page of a project-scoped list (`path` like `/pipelines/12/jobs`) with
   * `per_page=100`, following `x-next-page` or `Link: rel="next"`; never trusts `x-total`,
   * which GitLab omits past 10,000 rows.
   */
  listAll<T>(path: string, query?: Record<string, string>): Promise<T[]>;
  /**
   * Streams a project-scoped download (`/jobs/12/artifacts`) into `file`, following redirects
   * (the token is only sent to the API origin, never to object storage), checking the size
   * against `Content-Length` (or `expectedBytes` when the server sends none). The caller owns
   * temp + rename. A truncated body is retried from the start.
   */
  download(path: string, file: string, expectedBytes?: number): Promise<DownloadResult>;
  /**
   * Sends a JSON body to a project-scoped path (`POST /merge_requests/3/notes`) and returns the
   * JSON answer. `PUT` is retried like a GET (it is idempotent); `POST` only after a 429, which
   * GitLab answers before doing anything, so a retried POST never creates a thing twice.
   */
  sendJson<T>(method: "POST" | "PUT", path: string, body: unknown): Promise<T>;
  /** Closes the connection pool. */
  close(): Promise<void>;
};

class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly code: GitlabApiErrorCode = "GITLAB_REQUEST_FAILED",
  ) {
    super(message);
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `rel="next"` target of a `Link` header, if any. */
export function parseNextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /\brel="?next"?/.test(match[2]!)) return match[1];
  }
  return undefined;
}

function describeUrl(url: URL): string {
  // Only the path and our own paging parameters: a presigned object-storage query carries
  // credentials of its own.
  const kept = new URLSearchParams();
  for (const [key, value] of url.searchParams)
    if (key === "page" || key === "per_page" || key === "include_retried") kept.set(key, value);
  const query = kept.toString();
  return `${url.pathname}${query ? `?${query}` : ""}`;
}

function authMessage(status: number, what: string): string {
  return [
    `GitLab answered ${status} to ${what}: the token was refused or lacks access.`,
    "A CI_JOB_TOKEN cannot list a pipeline's bridges or jobs; use a project or personal access",
    "token with the read_api scope (api to post merge-request notes), stored in a masked CI/CD",
    "variable (default GITLAB_API_TOKEN).",
  ].join("\n");
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Creates a GitLab v4 client on an undici connection pool. */
export function createGitlabClient(options: GitlabClientOptions): GitlabClient {
  const http = new GitlabHttp(options);
  return {
    projectUrl: http.projectUrl,
    sendJson: (method, path, body) => http.sendJson(method, path, body),
    listAll: (path, query) => http.listAll(path, query),
    download: (path, file, expectedBytes) => http.download(path, file, expectedBytes),
    close: () => http.close(),
  };
}

/** The client's settings, defaults applied. */
type GitlabSettings = Required<
  Pick<
    GitlabClientOptions,
    | "token"
    | "maxAttempts"
    | "baseDelayMs"
    | "maxDelayMs"
    | "maxRetryAfterMs"
    | "maxRedirects"
    | "sleep"
    | "random"
  >
> &
  Pick<GitlabClientOptions, "onRetry">;

/** Requests with retries, paging and redirects, the token only ever sent to the API's origin. */
class GitlabHttp {
  readonly projectUrl: string;
  private readonly apiBase: URL;
  private readonly agent: ReturnType<typeof createHttpDispatcher>;
  private readonly settings: GitlabSettings;

  constructor(options: GitlabClientOptions) {
    this.settings = {
      token: options.token,
      maxAttempts: options.maxAttempts ?? 6,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
      maxRedirects: options.maxRedirects ?? 5,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    };
    this.apiBase = new URL(options.apiUrl.replace(/\/+$/, ""));
    this.projectUrl = `${this.apiBase.href}/projects/${encodeURIComponent(options.projectId)}`;
    // Redirects are followed by hand, not by undici's redirect interceptor: undici 7 dropped the
    // `maxRedirections` request option, and its interceptor strips only `authorization`/`cookie`
    // on a cross-origin hop, so it would hand our PRIVATE-TOKEN to object storage.
    this.agent = createHttpDispatcher({
      env: options.env ?? {},
      timeoutMs: options.timeoutMs ?? 60_000,
      connections: 16,
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private headersFor(url: URL): Record<string, string> {
    const headers: Record<string, string> = { "user-agent": "spacktainers-gather" };
    if (url.origin === this.apiBase.origin) headers["private-token"] = this.settings.token;
    return headers;
  }

  private failure(status: number, what: string, body: string, attempts: number): GitlabApiError {
    if (status === 401 || status === 403)
      return new GitlabApiError({
        code: "GITLAB_AUTH_FAILED",
        status,
        attempts,
        message: authMessage(status, what),
      });
    if (status === 404)
      return new GitlabApiError({
        code: "GITLAB_NOT_FOUND",
        status,
        attempts,
        message: `GitLab answered 404 to ${what}: no such project, pipeline or job visible to this token (${excerpt(body)}).`,
      });
    return new GitlabApiError({
      code: "GITLAB_REQUEST_FAILED",
      status,
      attempts,
      message: `GitLab answered ${status} to ${what}: ${excerpt(body)}`,
    });
  }

  /** Runs `attempt` until it succeeds, a non-retryable error occurs, or attempts run out. */
  private async withRetries<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt(n);
      } catch (error) {
        // Known failures (auth, 404, local disk) are final.
        if (SpacktainersError.isInstance(error)) throw error;
        const retryable = error instanceof RetryableFailure ? error : undefined;
        const reason = retryable?.status ? `HTTP ${retryable.status}` : (error as Error).message;
        if (n >= this.settings.maxAttempts) {
          throw new GitlabApiError({
            code: retryable?.code ?? "GITLAB_REQUEST_FAILED",
            status: retryable?.status,
            attempts: n,
            message: `${what} failed after ${n} attempts; last: ${reason}.`,
            cause: error,
          });
        }
        const backoff = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (n - 1));
        const jittered = Math.round(backoff / 2 + (this.settings.random() * backoff) / 2);
        const delayMs =
          retryable?.retryAfterMs === undefined
            ? jittered
            : Math.min(this.settings.maxRetryAfterMs, Math.max(retryable.retryAfterMs, jittered));
        this.settings.onRetry?.({ request: what, attempt: n, reason, delayMs });
        await this.settings.sleep(delayMs);
      }
    }
  }

  /** Throws for a non-2xx status after draining the body. */
  private async checkStatus(
    response: Awaited<ReturnType<typeof request>>,
    what: string,
    attempt: number,
  ): Promise<void> {
    const status = response.statusCode;
    if (status >= 200 && status < 300) return;
    const text = await response.body.text().catch(() => "");
    if (RETRYABLE_STATUS.has(status)) {
      const retryAfterMs =
        status === 429 ? parseRetryAfter(header(response.headers, "retry-after")) : undefined;
      throw new RetryableFailure(`HTTP ${status}`, status, retryAfterMs);
    }
    throw this.failure(status, what, text, attempt);
  }

  private async getJson(
    url: URL,
  ): Promise<{ body: unknown; headers: Record<string, string | string[] | undefined> }> {
    const what = `GET ${describeUrl(url)}`;
    return this.withRetries(what, async (attempt) => {
      const response = await request(url, {
        dispatcher: this.agent,
        method: "GET",
        headers: this.headersFor(url),
      });
      await this.checkStatus(response, what, attempt);
      const text = await response.body.text();
      try {
        return { body: JSON.parse(text) as unknown, headers: response.headers };
      } catch {
        // A proxy's HTML error page or a cut body: worth another try.
        throw new RetryableFailure(
          `invalid JSON (${excerpt(text)})`,
          undefined,
          undefined,
          "GITLAB_REQUEST_FAILED",
        );
      }
    });
  }

  async sendJson<T>(method: "POST" | "PUT", path: string, body: unknown): Promise<T> {
    const url = new URL(`${this.projectUrl}${path}`);
    const what = `${method} ${describeUrl(url)}`;
    const text = JSON.stringify(body);
    return this.withRetries(what, async (attempt) => {
      const response = await request(url, {
        dispatcher: this.agent,
        method,
        headers: { ...this.headersFor(url), "content-type": "application/json" },
        body: text,
      }).catch((error: unknown) => {
        if (method === "POST")
          throw new GitlabApiError({
            code: "GITLAB_REQUEST_FAILED",
            attempts: attempt,
            message: `${what} failed: ${(error as Error).message}`,
            cause: error,
          });
        throw error;
      });
      if (method === "POST" && response.statusCode !== 429 && response.statusCode >= 300) {
        const answer = await response.body.text().catch(() => "");
        throw this.failure(response.statusCode, what, answer, attempt);
      }
      await this.checkStatus(response, what, attempt);
      const answer = await response.body.text();
      try {
        return JSON.parse(answer) as T;
      } catch {
        throw new GitlabApiError({
          code: "GITLAB_REQUEST_FAILED",
          attempts: attempt,
          message: `${what} returned invalid JSON (${excerpt(answer)}).`,
        });
      }
    });
  }

  async listAll<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const url = new URL(`${this.projectUrl}${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    url.searchParams.set("per_page", String(PER_PAGE));
    url.searchParams.set("page", "1");
    const items: T[] = [];
    const seen = new Set<string>();
    for (let pages = 1; ; pages++) {
      const { body, headers } = await this.getJson(url);
      if (!Array.isArray(body))
        throw new GitlabApiError({
          code: "GITLAB_REQUEST_FAILED",
          attempts: 1,
          message: `GET ${describeUrl(url)} returned ${typeof body}, expected a JSON array.`,
        });
      items.push(...(body as T[]));
      seen.add(url.searchParams.get("page") ?? "");
      const nextPage = header(headers, "x-next-page")?.trim();
      const nextLink = parseNextLink(header(headers, "link"));
      if (nextPage) {
        if (seen.has(nextPage))
          throw new GitlabApiError({
            code: "GITLAB_REQUEST_FAILED",
            attempts: 1,
            message: `GET ${describeUrl(url)}: GitLab announced page ${nextPage} twice; stopping.`,
          });
        url.searchParams.set("page", nextPage);
      } else if (nextLink) {
        // Take only the query of the Link target: behind a proxy its host may differ from
        // CI_API_V4_URL, and the token must only go to the origin we were given.
        for (const [key, value] of new URL(nextLink, url).searchParams) url.searchParams.set(key, value);
      } else return items;
      if (pages >= MAX_PAGES)
        throw new GitlabApiError({
          code: "GITLAB_REQUEST_FAILED",
          attempts: 1,
          message: `GET ${path}: more than ${MAX_PAGES} pages; stopping.`,
        });
    }
  }

  async download(path: string, file: string, expectedBytes?: number): Promise<DownloadResult> {
    const start = new URL(`${this.projectUrl}${path}`);
    const what = `GET ${describeUrl(start)}`;
    return this.withRetries(what, async (attempt) => {
      let url = start;
      let response = await request(url, {
        dispatcher: this.agent,
        method: "GET",
        headers: this.headersFor(url),
      });
      for (let hops = 0; REDIRECT_STATUS.has(response.statusCode); hops++) {
        const location = header(response.headers, "location");
        await response.body.dump();
        if (!location || hops >= this.settings.maxRedirects)
          throw new GitlabApiError({
            code: "GITLAB_REQUEST_FAILED",
            status: response.statusCode,
            attempts: attempt,
            message: `${what}: ${location ? `more than ${this.settings.maxRedirects} redirects` : "redirect without Location"}.`,
          });
        url = new URL(location, url);
        response = await request(url, {
          dispatcher: this.agent,
          method: "GET",
          headers: this.headersFor(url),
        });
      }
      await this.checkStatus(response, what, attempt);
      const lengthHeader = header(response.headers, "content-length");
      const expected = lengthHeader !== undefined ? Number(lengthHeader) : expectedBytes;
      const hash = createHash("sha256");
      let bytes = 0;
      try {
        await pipeline(
          response.body,
          async function* count(source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              hash.update(chunk);
              bytes += chunk.length;
              yield chunk;
            }
          },
          createWriteStream(file),
        );
      } catch (error) {
        const { syscall, code } = error as NodeJS.ErrnoException;
        if (syscall === "open" || syscall === "write" || code === "ENOSPC")
          throw new SpacktainersError({
            code: "ARTIFACT_WRITE_FAILED",
            message: `cannot write ${file}: ${(error as Error).message}`,
            cause: error,
          });
        // undici reports a body cut short of Content-Length as a socket or length error.
        throw new RetryableFailure(
          `body ended after ${bytes} of ${expected ?? "?"} bytes (${(error as Error).message})`,
          undefined,
          undefined,
          "GITLAB_DOWNLOAD_TRUNCATED",
        );
      }
      if (expected !== undefined && bytes !== expected)
        throw new RetryableFailure(
          `body has ${bytes} bytes, expected ${expected}`,
          undefined,
          undefined,
          "GITLAB_DOWNLOAD_TRUNCATED",
        );
      return { bytes, sha256: hash.digest("hex") };
    });
  }
}
