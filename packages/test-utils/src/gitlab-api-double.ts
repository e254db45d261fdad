import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type GeneratedZipEntry, generatedZipLength, streamGeneratedZip } from "./gitlab-artifact-zip.js";

/**
 * A loopback double of the few GitLab v4 endpoints the artifact gatherer uses, following the
 * documented shapes (docs.gitlab.com/ee/api/jobs.html, api/rest "Pagination"):
 *
 * - `GET /api/v4/projects/:id/pipelines/:pipeline_id/bridges` — bridges with `downstream_pipeline`;
 * - `GET /api/v4/projects/:id/pipelines/:pipeline_id/jobs` — jobs with id/name/status/artifacts,
 *   `include_retried` (without it only the latest attempt of each name is listed);
 * - `GET /api/v4/projects/:id/jobs/:job_id/artifacts` — the archive, or a 302 to object storage
 *   (a path on the same server, or a second server), as GitLab does with direct downloads;
 * - merge-request notes (docs.gitlab.com/api/notes/#merge-requests): `GET
 *   /projects/:id/merge_requests/:iid/notes` (paged, newest first unless `sort=asc`), `POST`
 *   (201) and `PUT .../notes/:note_id` (200), with a JSON or form body holding `body`; 400 without
 *   it, 404 for an unknown merge request or note. A note keeps its `created_at` when updated.
 * - `GET /api/v4/projects/:id/repository/branches` and `…/repository/tags` — the project's
 *   branches and tags (docs.gitlab.com/ee/api/branches.html, api/tags.html), paginated; branches
 *   sorted by name and tags in the given order (GitLab's defaults: by name, by last update).
 *
 * Auth is `PRIVATE-TOKEN`; a job-token-like value (`glcbt-…`, or listed in `jobTokens`) gets the
 * 401 GitLab gives a `CI_JOB_TOKEN` on these endpoints. Faults: bursts of 429 with
 * `Retry-After`, 5xx, connection resets, slow answers, truncated bodies. The state is live: tests
 * may change it between requests.
 */

/** Archive content of a job: bytes, or a ZIP generated while streaming (for big benches). */
export type GitlabDoubleArchive = Uint8Array | { generatedZip: GeneratedZipEntry[] };

/** A job of a pipeline. */
export type GitlabDoubleJob = {
  id: number;
  name: string;
  /** Default `success`. */
  status?: string;
  /** Default `build`. */
  stage?: string;
  /** Default derived from the id. */
  createdAt?: string;
  /** The artifacts archive; none when absent. */
  archive?: GitlabDoubleArchive;
  /** `artifacts_expire_at`; null for "never". When in the past, the archive is gone (GitLab erases it). */
  artifactsExpireAt?: string | null;
  /** Where the download goes: served by the API (`none`, default), 302 to a path on the same server, or 302 to the second (storage) server. */
  redirect?: "none" | "same-server" | "other-server";
  /** The first `times` downloads send the full Content-Length but only `afterBytes` bytes, then cut the connection. */
  truncate?: { afterBytes: number; times: number };
  /** Send the body chunked, without Content-Length. */
  omitContentLength?: boolean;
};

/** A bridge (trigger job) of a pipeline. */
export type GitlabDoubleBridge = {
  id: number;
  name: string;
  /** Default `success`. */
  status?: string;
  /** The child pipeline; null while not created. */
  downstreamPipelineId: number | null;
};

/** A pipeline with its bridges and jobs. */
export type GitlabDoublePipeline = { id: number; bridges?: GitlabDoubleBridge[]; jobs?: GitlabDoubleJob[] };

/** A note on a merge request, as `GET .../notes` returns it (documented core fields). */
export type GitlabDoubleNote = {
  id: number;
  body: string;
  /** Who wrote it; default the token's user, `project_bot`. */
  author?: string;
  /** GitLab's own notes ("added 1 commit"). */
  system?: boolean;
  created_at: string;
  updated_at: string;
};

/** A merge request and its notes, oldest first. */
export type GitlabDoubleMergeRequest = { iid: number; notes: GitlabDoubleNote[] };

/** The double's live state. */
export type GitlabApiDoubleState = {
  /** Project id as used in URLs (`42`, or `group/project` which clients URL-encode). */
  projectId: string;
  /** Accepted `PRIVATE-TOKEN` values. */
  tokens: string[];
  /** Job tokens (plus anything starting with `glcbt-`): 401 on these endpoints. */
  jobTokens?: string[];
  pipelines: GitlabDoublePipeline[];
  /** Merge requests with their notes (the notes endpoints). */
  mergeRequests?: GitlabDoubleMergeRequest[];
  /** Branch names of the repository (default `["main"]`, the default branch). */
  branches?: string[];
  /** Tag names of the repository, most recently updated first (default none). */
  tags?: string[];
  /** Which paging headers to send (default `all`); `omitTotal` drops x-total/x-total-pages and rel="last" as GitLab does past 10,000 rows. */
  pagination?: {
    headers?: "all" | "x-next-page" | "link";
    omitTotal?: boolean;
    /** Largest `per_page` honoured (GitLab's is 100); lower it to make short lists span pages. */
    perPageMax?: number;
  };
  /** The next `remaining` requests (any server) get 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit?: { remaining: number; retryAfterSeconds: number };
  /** The next `remaining` requests get `status` (a 5xx). */
  serverErrors?: { remaining: number; status: number };
  /** The next N requests have their connection destroyed before any answer. */
  connectionResets?: number;
  /** Wait this long before answering each request (for timeout tests). */
  delayMs?: number;
  /** `now` for expiry decisions (default: the clock). */
  now?: Date;
};

/** One request the double received. */
export type GitlabDoubleRequest = {
  server: "api" | "storage";
  method: string;
  /** Path and query as received. */
  path: string;
  /** Whether a PRIVATE-TOKEN header was sent (never its value). */
  privateToken: boolean;
  /** Status answered (0 when the connection was reset). */
  status: number;
};

export type GitlabApiDouble = {
  /** `CI_API_V4_URL` of the double, e.g. `http://127.0.0.1:40123/api/v4`. */
  url: string;
  /** Origin of the second (object storage) server. */
  storageUrl: string;
  /** The live state. */
  state: GitlabApiDoubleState;
  /** Every request received, in order. */
  requests: GitlabDoubleRequest[];
  stop(): Promise<void>;
};

const PER_PAGE_DEFAULT = 20;
const PER_PAGE_MAX = 100;

function archiveLength(archive: GitlabDoubleArchive): number {
  return archive instanceof Uint8Array ? archive.length : generatedZipLength(archive.generatedZip);
}

function isExpired(job: GitlabDoubleJob, now: Date): boolean {
  return job.artifactsExpireAt != null && Date.parse(job.artifactsExpireAt) <= now.getTime();
}

function createdAt(id: number): string {
  return new Date(Date.UTC(2025, 0, 1) + id * 1000).toISOString();
}

function pipelineJson(state: GitlabApiDoubleState, id: number) {
  return {
    id,
    iid: id,
    project_id: Number(state.projectId) || 1,
    status: "success",
    ref: "main",
    sha: "0".repeat(40),
  };
}

/** A job as GitLab's "List pipeline jobs" returns it (trimmed to the documented core fields). */
function jobJson(state: GitlabApiDoubleState, pipelineId: number, job: GitlabDoubleJob) {
  const now = state.now ?? new Date();
  const archive = job.archive && !isExpired(job, now) ? job.archive : undefined;
  const size = archive ? archiveLength(archive) : 0;
  return {
    id: job.id,
    name: job.name,
    stage: job.stage ?? "build",
    status: job.status ?? "success",
    ref: "main",
    tag: false,
    allow_failure: false,
    created_at: job.createdAt ?? createdAt(job.id),
    started_at: job.createdAt ?? createdAt(job.id),
    finished_at: job.createdAt ?? createdAt(job.id),
    pipeline: pipelineJson(state, pipelineId),
    web_url: `https://gitlab.example.com/group/project/-/jobs/${job.id}`,
    ...(archive ? { artifacts_file: { filename: "artifacts.zip", size } } : {}),
    artifacts: archive
      ? [
          { file_type: "archive", size, filename: "artifacts.zip", file_format: "zip" },
          { file_type: "metadata", size: 180, filename: "metadata.gz", file_format: "gzip" },
        ]
      : [],
    artifacts_expire_at: job.artifactsExpireAt ?? null,
  };
}

function bridgeJson(state: GitlabApiDoubleState, pipelineId: number, bridge: GitlabDoubleBridge) {
  return {
    id: bridge.id,
    name: bridge.name,
    stage: "trigger",
    status: bridge.status ?? "success",
    ref: "main",
    created_at: createdAt(bridge.id),
    pipeline: pipelineJson(state, pipelineId),
    downstream_pipeline:
      bridge.downstreamPipelineId === null
        ? null
        : {
            ...pipelineJson(state, bridge.downstreamPipelineId),
            web_url: `https://gitlab.example.com/group/project/-/pipelines/${bridge.downstreamPipelineId}`,
          },
  };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): number {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
  return status;
}

function paginate<T>(state: GitlabApiDoubleState, url: URL, items: T[], response: ServerResponse): number {
  const perPage = Math.min(
    state.pagination?.perPageMax ?? PER_PAGE_MAX,
    Math.max(1, Number(url.searchParams.get("per_page")) || PER_PAGE_DEFAULT),
  );
  const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const mode = state.pagination?.headers ?? "all";
  const omitTotal = state.pagination?.omitTotal ?? false;
  const pageUrl = (n: number) => {
    const target = new URL(url.href);
    target.searchParams.set("page", String(n));
    target.searchParams.set("per_page", String(perPage));
    return target.href;
  };
  const headers: Record<string, string> = {};
  if (mode === "all" || mode === "x-next-page") {
    headers["x-page"] = String(page);
    headers["x-per-page"] = String(perPage);
    headers["x-next-page"] = page < totalPages ? String(page + 1) : "";
    headers["x-prev-page"] = page > 1 ? String(page - 1) : "";
    if (!omitTotal) {
      headers["x-total"] = String(items.length);
      headers["x-total-pages"] = String(totalPages);
    }
  }
  if (mode === "all" || mode === "link") {
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`);
    if (page < totalPages) links.push(`<${pageUrl(page + 1)}>; rel="next"`);
    links.push(`<${pageUrl(1)}>; rel="first"`);
    if (!omitTotal) links.push(`<${pageUrl(totalPages)}>; rel="last"`);
    headers.link = links.join(", ");
  }
  return sendJson(response, 200, slice, headers);
}

/** A branch as GitLab's "List repository branches" returns it (trimmed to the documented core fields). */
function branchJson(name: string, defaultBranch: string) {
  return {
    name,
    merged: false,
    protected: name === defaultBranch,
    default: name === defaultBranch,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: true,
    web_url: `https://gitlab.example.com/group/project/-/tree/${name}`,
    commit: { id: "0".repeat(40), short_id: "00000000", title: "commit" },
  };
}

/** A tag as GitLab's "List project repository tags" returns it (trimmed to the documented core fields). */
function tagJson(name: string) {
  return {
    name,
    message: "",
    target: "0".repeat(40),
    commit: { id: "0".repeat(40), short_id: "00000000", title: "commit" },
    release: null,
    protected: false,
  };
}

/** Only the latest attempt of each job name, as GitLab lists without `include_retried`. */
function latestAttempts(jobs: GitlabDoubleJob[]): GitlabDoubleJob[] {
  const latest = new Map<string, number>();
  for (const job of jobs) latest.set(job.name, Math.max(latest.get(job.name) ?? 0, job.id));
  return jobs.filter((job) => latest.get(job.name) === job.id);
}

async function sendArchive(job: GitlabDoubleJob, response: ServerResponse): Promise<number> {
  const archive = job.archive!;
  const length = archiveLength(archive);
  const headers: Record<string, string | number> = {
    "content-type": "application/zip",
    "content-disposition": 'attachment; filename="artifacts.zip"',
  };
  if (!job.omitContentLength) headers["content-length"] = length;
  response.writeHead(200, headers);
  const truncate = job.truncate && job.truncate.times > 0 ? job.truncate : undefined;
  if (truncate) truncate.times--;
  const source =
    archive instanceof Uint8Array
      ? Readable.from([Buffer.from(archive)])
      : Readable.from(streamGeneratedZip(archive.generatedZip));
  if (truncate) {
    let sent = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const part = chunk.subarray(0, Math.max(0, truncate.afterBytes - sent));
      if (part.length > 0 && !response.write(part))
        await new Promise((resolve) => response.once("drain", resolve));
      sent += part.length;
      if (sent >= truncate.afterBytes) break;
    }
    // Let the bytes leave, then cut the connection mid-body.
    await new Promise((resolve) => setTimeout(resolve, 20));
    response.socket?.destroy();
    return 200;
  }
  await pipeline(source, response).catch(() => undefined);
  return 200;
}

/** What the handlers share: the live state and the servers' origins (known once listening). */
type DoubleContext = { state: GitlabApiDoubleState; apiOrigin: string; storageOrigin: string };

/** A request routed to an API handler: `match` is its route's match of the project-relative path. */
type ApiRequest = {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  match: RegExpExecArray;
};

/** Faults that apply to every request (resets, 429 bursts, 5xx); returns a status when one was served. */
function serveFault(
  state: GitlabApiDoubleState,
  request: IncomingMessage,
  response: ServerResponse,
): number | undefined {
  if (state.connectionResets && state.connectionResets > 0) {
    state.connectionResets--;
    request.socket.destroy();
    return 0;
  }
  if (state.rateLimit && state.rateLimit.remaining > 0) {
    state.rateLimit.remaining--;
    return sendJson(
      response,
      429,
      { message: "429 Too Many Requests" },
      {
        "retry-after": String(state.rateLimit.retryAfterSeconds),
        "ratelimit-remaining": "0",
      },
    );
  }
  if (state.serverErrors && state.serverErrors.remaining > 0) {
    state.serverErrors.remaining--;
    return sendJson(response, state.serverErrors.status, { message: `${state.serverErrors.status} Error` });
  }
  return undefined;
}

function findJob(state: GitlabApiDoubleState, id: number): GitlabDoubleJob | undefined {
  for (const pipeline of state.pipelines)
    for (const job of pipeline.jobs ?? []) if (job.id === id) return job;
  return undefined;
}

/** A known `PRIVATE-TOKEN`; a `JOB-TOKEN` header or a job-token-like value is refused (401). */
function isAuthorized(state: GitlabApiDoubleState, request: IncomingMessage): boolean {
  const token = request.headers["private-token"];
  const isJobToken = (value: unknown) =>
    typeof value === "string" && (value.startsWith("glcbt-") || (state.jobTokens ?? []).includes(value));
  return (
    request.headers["job-token"] === undefined &&
    !isJobToken(token) &&
    typeof token === "string" &&
    state.tokens.includes(token)
  );
}

/** `pipelines/:id/bridges` and `pipelines/:id/jobs` (latest attempts unless `include_retried`). */
function servePipelineListing({ state }: DoubleContext, { url, match, response }: ApiRequest): number {
  const pipeline = state.pipelines.find((p) => p.id === Number(match[1]));
  if (!pipeline) return sendJson(response, 404, { message: "404 Not found" });
  if (match[2] === "bridges")
    return paginate(
      state,
      url,
      (pipeline.bridges ?? []).map((b) => bridgeJson(state, pipeline.id, b)),
      response,
    );
  const all = pipeline.jobs ?? [];
  const listed = url.searchParams.get("include_retried") === "true" ? all : latestAttempts(all);
  return paginate(
    state,
    url,
    listed.map((j) => jobJson(state, pipeline.id, j)),
    response,
  );
}

/** A note as the notes endpoints return it (documented core fields). */
function noteJson(note: GitlabDoubleNote, iid: number) {
  return {
    id: note.id,
    type: null,
    body: note.body,
    attachment: null,
    author: { id: 1, username: note.author ?? "project_bot", name: note.author ?? "project_bot" },
    created_at: note.created_at,
    updated_at: note.updated_at,
    system: note.system ?? false,
    noteable_id: 1000 + iid,
    noteable_type: "MergeRequest",
    noteable_iid: iid,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}

/** `POST .../notes` (201) and `PUT .../notes/:note_id` (200), with a JSON or form body holding `body`. */
async function writeNote(
  { state }: DoubleContext,
  { request, response }: ApiRequest,
  mergeRequest: GitlabDoubleMergeRequest,
  noteId: string | undefined,
): Promise<number> {
  const now = (state.now ?? new Date()).toISOString();
  const text = Buffer.concat(await request.toArray()).toString("utf8");
  const body = (request.headers["content-type"] ?? "").startsWith("application/json")
    ? (JSON.parse(text || "{}") as { body?: unknown }).body
    : new URLSearchParams(text).get("body");
  if (typeof body !== "string" || body === "")
    return sendJson(response, 400, { message: "400 Bad request - body is missing" });
  if (request.method === "POST") {
    const ids = (state.mergeRequests ?? []).flatMap((mr) => mr.notes.map((n) => n.id));
    const note: GitlabDoubleNote = {
      id: Math.max(100, ...ids) + 1,
      body,
      created_at: now,
      updated_at: now,
    };
    mergeRequest.notes.push(note);
    return sendJson(response, 201, noteJson(note, mergeRequest.iid));
  }
  const note = mergeRequest.notes.find((n) => n.id === Number(noteId));
  if (!note) return sendJson(response, 404, { message: "404 Not found" });
  note.body = body;
  note.updated_at = now;
  return sendJson(response, 200, noteJson(note, mergeRequest.iid));
}

/** `merge_requests/:iid/notes` (GET, paged, newest first unless `sort=asc`; POST) and `.../notes/:id` (PUT). */
async function serveNotes(context: DoubleContext, routed: ApiRequest): Promise<number> {
  const { request, response, url, match } = routed;
  const iid = Number(match[1]);
  const noteId = match[2];
  const mergeRequest = (context.state.mergeRequests ?? []).find((mr) => mr.iid === iid);
  if (!mergeRequest) return sendJson(response, 404, { message: "404 Not found" });
  if (request.method === "GET" && noteId === undefined) {
    const listed = [...mergeRequest.notes];
    // GitLab's default order is created_at descending.
    if (url.searchParams.get("sort") !== "asc") listed.reverse();
    return paginate(
      context.state,
      url,
      listed.map((note) => noteJson(note, iid)),
      response,
    );
  }
  if ((request.method === "POST" && noteId === undefined) || (request.method === "PUT" && noteId))
    return writeNote(context, routed, mergeRequest, noteId);
  return sendJson(response, 405, { message: "405 Method Not Allowed" });
}

/** `repository/branches`: sorted by name; the default branch is `main` when present. */
function serveBranches({ state }: DoubleContext, { url, response }: ApiRequest): number {
  const branches = [...(state.branches ?? ["main"])].sort();
  return paginate(
    state,
    url,
    branches.map((name) => branchJson(name, branches.includes("main") ? "main" : branches[0]!)),
    response,
  );
}

/** `repository/tags`, in the given order. */
function serveTags({ state }: DoubleContext, { url, response }: ApiRequest): number {
  return paginate(state, url, (state.tags ?? []).map(tagJson), response);
}

/** `jobs/:id/artifacts`: the archive, or a 302 to a presigned URL on this or the storage server. */
function serveArtifacts(context: DoubleContext, { match, response }: ApiRequest): Promise<number> | number {
  const { state } = context;
  const job = findJob(state, Number(match[1]));
  if (!job?.archive || isExpired(job, state.now ?? new Date()))
    return sendJson(response, 404, { message: "404 Not found" });
  const redirect = job.redirect ?? "none";
  if (redirect === "none") return sendArchive(job, response);
  const origin = redirect === "same-server" ? context.apiOrigin : context.storageOrigin;
  response.writeHead(302, {
    location: `${origin}/storage/artifacts/${job.id}/artifacts.zip?X-Amz-Signature=double-signature`,
  });
  response.end();
  return 302;
}

/** The API routes, by path relative to `/api/v4/projects/:id/`. */
const API_ROUTES: ReadonlyArray<{
  path: RegExp;
  serve(context: DoubleContext, routed: ApiRequest): Promise<number> | number;
}> = [
  { path: /^pipelines\/(\d+)\/(jobs|bridges)$/, serve: servePipelineListing },
  { path: /^merge_requests\/(\d+)\/notes(?:\/(\d+))?$/, serve: serveNotes },
  { path: /^repository\/branches$/, serve: serveBranches },
  { path: /^repository\/tags$/, serve: serveTags },
  { path: /^jobs\/(\d+)\/artifacts$/, serve: serveArtifacts },
];

/** The API server: auth (401), then the project (404), then a route. */
async function handleApi(
  context: DoubleContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<number> {
  const url = new URL(request.url ?? "/", context.apiOrigin);
  if (!isAuthorized(context.state, request)) return sendJson(response, 401, { message: "401 Unauthorized" });
  const project = /^\/api\/v4\/projects\/([^/]+)\/(.*)$/.exec(url.pathname);
  if (!project || decodeURIComponent(project[1]!) !== context.state.projectId)
    return sendJson(response, 404, { message: "404 Project Not Found" });
  for (const route of API_ROUTES) {
    const match = route.path.exec(project[2]!);
    if (match) return route.serve(context, { request, response, url, match });
  }
  return sendJson(response, 404, { message: "404 Not Found" });
}

/** The object storage server: presigned artifact URLs, no GitLab token looked at. */
async function handleStorage(
  context: DoubleContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<number> {
  const url = new URL(request.url ?? "/", context.storageOrigin);
  const match = /^\/storage\/artifacts\/(\d+)\/artifacts\.zip$/.exec(url.pathname);
  const job = match ? findJob(context.state, Number(match[1])) : undefined;
  // Object storage answers a presigned URL without looking at GitLab tokens.
  if (!job?.archive || url.searchParams.get("X-Amz-Signature") !== "double-signature") {
    response.writeHead(403, { "content-type": "application/xml" });
    response.end("<Error><Code>AccessDenied</Code></Error>");
    return 403;
  }
  return sendArchive(job, response);
}

/**
 * The request listener of one server: records each request, applies the delay and the faults,
 * answers 500 on a crash.
 */
function createListener(context: DoubleContext, requests: GitlabDoubleRequest[], server: "api" | "storage") {
  return (request: IncomingMessage, response: ServerResponse) => {
    const entry: GitlabDoubleRequest = {
      server,
      method: request.method ?? "GET",
      path: request.url ?? "/",
      privateToken: request.headers["private-token"] !== undefined,
      status: 0,
    };
    requests.push(entry);
    const delay = context.state.delayMs ?? 0;
    const run = async () => {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (request.socket.destroyed) return;
      const isStorage = server === "storage" || (request.url ?? "").startsWith("/storage/");
      entry.status =
        serveFault(context.state, request, response) ??
        (await (isStorage ? handleStorage : handleApi)(context, request, response));
    };
    run().catch((error: unknown) => {
      entry.status = 500;
      if (!response.headersSent) sendJson(response, 500, { message: String(error) });
      else response.destroy();
    });
  };
}

/** Listens on a free loopback port, tracking sockets (to cut them on stop); returns the origin. */
async function listenOnLoopback(server: Server, sockets: Set<Socket>): Promise<string> {
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Starts the double (API server + storage server) on loopback, on free ports. */
export async function startGitlabApiDouble(state: GitlabApiDoubleState): Promise<GitlabApiDouble> {
  const requests: GitlabDoubleRequest[] = [];
  const sockets = new Set<Socket>();
  const context: DoubleContext = { state, apiOrigin: "", storageOrigin: "" };
  const api = createServer(createListener(context, requests, "api"));
  const storage = createServer(createListener(context, requests, "storage"));
  context.apiOrigin = await listenOnLoopback(api, sockets);
  context.storageOrigin = await listenOnLoopback(storage, sockets);
  return {
    url: `${context.apiOrigin}/api/v4`,
    storageUrl: context.storageOrigin,
    state,
    requests,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([api, storage].map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
