import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "@spacktainers/core";
import { createArtifactZip, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, test } from "vitest";
import { findDownstreamJobs, gatherArtifacts } from "../src/index.js";
import {
  CHILD,
  failure,
  NOW,
  PARENT,
  PLAN_ZIP,
  pipelineState,
  requestLines,
  SPLIT_ZIP,
  useClient,
  useDouble,
} from "./double-fixture.js";

/** Lists a folder tree, sorted, as relative paths. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe("finding the jobs", () => {
  test("250 jobs over 3 pages without x-total: finds the named ones", async () => {
    const jobs = Array.from({ length: 250 }, (_, i) => ({
      id: 5000 + i,
      name: `build ${i}`,
      archive: PLAN_ZIP,
    }));
    const double = await useDouble(pipelineState(jobs, { pagination: { omitTotal: true } }));
    const { client } = useClient(double);
    const found = await findDownstreamJobs({
      client,
      pipelineId: String(PARENT),
      bridge: "generate",
      jobs: ["build 249", "build 0", "build 150"],
      now: NOW,
    });
    expect(found).toEqual({
      bridge: { id: 11, name: "generate", status: "success" },
      downstreamPipelineId: CHILD,
      jobs: [
        { name: "build 249", id: 5249, attempts: 1, archiveBytes: PLAN_ZIP.length, artifactsExpireAt: null },
        { name: "build 0", id: 5000, attempts: 1, archiveBytes: PLAN_ZIP.length, artifactsExpireAt: null },
        { name: "build 150", id: 5150, attempts: 1, archiveBytes: PLAN_ZIP.length, artifactsExpireAt: null },
      ],
    });
    expect(requestLines(double)).toEqual([
      "200 api token /api/v4/projects/42/pipelines/1000/bridges?per_page=100&page=1",
      "200 api token /api/v4/projects/42/pipelines/2000/jobs?include_retried=true&per_page=100&page=1",
      "200 api token /api/v4/projects/42/pipelines/2000/jobs?include_retried=true&per_page=100&page=2",
      "200 api token /api/v4/projects/42/pipelines/2000/jobs?include_retried=true&per_page=100&page=3",
    ]);
  });

  test.each(["link", "x-next-page"] as const)("follows pages announced only by %s", async (headers) => {
    const jobs = Array.from({ length: 201 }, (_, i) => ({
      id: 7000 + i,
      name: `job ${i}`,
      archive: PLAN_ZIP,
    }));
    const double = await useDouble(pipelineState(jobs, { pagination: { headers, omitTotal: true } }));
    const { client } = useClient(double);
    const found = await findDownstreamJobs({
      client,
      pipelineId: "1000",
      bridge: "generate",
      jobs: ["job 200"],
      now: NOW,
    });
    expect(found.jobs.map((j) => j.id)).toEqual([7200]);
    expect(
      double.requests
        .filter((r) => r.path.includes("/jobs"))
        .map((r) => new URL(r.path, "http://x").searchParams.get("page")),
    ).toEqual(["1", "2", "3"]);
  });

  test("takes the latest attempt of a retried job", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 300, name: "split", status: "failed" },
        { id: 320, name: "split", archive: SPLIT_ZIP },
        { id: 310, name: "split", status: "failed" },
      ]),
    );
    const { client } = useClient(double);
    const found = await findDownstreamJobs({
      client,
      pipelineId: "1000",
      bridge: "generate",
      jobs: ["split"],
      now: NOW,
    });
    expect(found.jobs).toEqual([
      { name: "split", id: 320, attempts: 3, archiveBytes: SPLIT_ZIP.length, artifactsExpireAt: null },
    ]);
  });

  test("an unknown bridge is an error listing the bridges", async () => {
    const double = await useDouble(pipelineState([]));
    const { client } = useClient(double);
    expect(
      await failure(
        findDownstreamJobs({ client, pipelineId: "1000", bridge: "generat", jobs: ["x"], now: NOW }),
      ),
    ).toEqual({
      code: "GATHER_BRIDGE_UNKNOWN",
      exitCode: 2,
      message:
        'pipeline 1000 has no bridge (trigger job) named "generat". Bridges: "build base images", "generate".',
    });
  });

  test("unknown jobs are one error listing the jobs that exist", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 1, name: "split 10", archive: SPLIT_ZIP },
        { id: 2, name: "split 2", archive: SPLIT_ZIP },
      ]),
    );
    const { client } = useClient(double);
    expect(
      await failure(
        findDownstreamJobs({
          client,
          pipelineId: "1000",
          bridge: "generate",
          jobs: ["split 2", "split 3", "plan"],
          now: NOW,
        }),
      ),
    ).toEqual({
      code: "GATHER_JOB_UNKNOWN",
      exitCode: 2,
      message:
        'downstream pipeline 2000 of bridge "generate" has no job named "split 3", "plan". Jobs: "split 2", "split 10".',
    });
  });

  test("failed, unfinished, expired and artifact-less jobs are one error", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 1, name: "failed", status: "failed", archive: SPLIT_ZIP },
        { id: 2, name: "running", status: "running" },
        { id: 3, name: "expired", archive: SPLIT_ZIP, artifactsExpireAt: "2025-05-31T00:00:00Z" },
        { id: 4, name: "no artifacts" },
        { id: 5, name: "fine", archive: SPLIT_ZIP, artifactsExpireAt: "2025-06-02T00:00:00Z" },
      ]),
    );
    const { client } = useClient(double);
    const jobs = ["fine", "failed", "running", "expired", "no artifacts"];
    expect(
      await failure(findDownstreamJobs({ client, pipelineId: "1000", bridge: "generate", jobs, now: NOW })),
    ).toEqual({
      code: "GATHER_JOB_UNUSABLE",
      exitCode: 1,
      message: [
        "cannot gather from downstream pipeline 2000:",
        '  - job "failed" (1) is failed; only a successful job\'s artifacts are gathered',
        '  - job "running" (2) is running (not finished); only a successful job\'s artifacts are gathered',
        '  - job "expired" (3): its artifacts expired at 2025-05-31T00:00:00Z',
        '  - job "no artifacts" (4) has no artifacts archive (declare artifacts: paths: in the job)',
      ].join("\n"),
    });
  });

  test("a bridge without downstream pipeline yet is an error", async () => {
    const state = pipelineState([]);
    state.pipelines[0]!.bridges = [
      { id: 11, name: "generate", status: "running", downstreamPipelineId: null },
    ];
    const double = await useDouble(state);
    const { client } = useClient(double);
    expect(
      (
        await failure(
          findDownstreamJobs({ client, pipelineId: "1000", bridge: "generate", jobs: ["x"], now: NOW }),
        )
      ).code,
    ).toBe("GATHER_NO_DOWNSTREAM");
  });
});

describe("the client", () => {
  test("a job-token-like token gets 401, explained", async () => {
    const double = await useDouble(pipelineState([]));
    const { client } = useClient(double, { token: "glcbt-64_abcdefghijklmnop" });
    expect(
      await failure(
        findDownstreamJobs({ client, pipelineId: "1000", bridge: "generate", jobs: ["x"], now: NOW }),
      ),
    ).toEqual({
      code: "GITLAB_AUTH_FAILED",
      exitCode: 1,
      message: [
        "GitLab answered 401 to GET /api/v4/projects/42/pipelines/1000/bridges?per_page=100&page=1: the token was refused or lacks access.",
        "A CI_JOB_TOKEN cannot list a pipeline's bridges or jobs; use a project or personal access",
        "token with the read_api scope (api to post merge-request notes), stored in a masked CI/CD",
        "variable (default GITLAB_API_TOKEN).",
      ].join("\n"),
    });
    expect(requestLines(double)).toEqual([
      "401 api token /api/v4/projects/42/pipelines/1000/bridges?per_page=100&page=1",
    ]);
  });

  test("a burst of 429 honours Retry-After", async () => {
    const double = await useDouble(pipelineState([], { rateLimit: { remaining: 3, retryAfterSeconds: 7 } }));
    const retries: string[] = [];
    const { client, sleeps } = useClient(double, {
      onRetry: (e) => retries.push(`${e.attempt} ${e.reason} ${e.delayMs}`),
    });
    const bridges = await client.listAll<{ name: string }>("/pipelines/1000/bridges");
    expect(bridges.map((b) => b.name)).toEqual(["build base images", "generate"]);
    expect(sleeps).toEqual([7000, 7000, 7000]);
    expect(retries).toEqual(["1 HTTP 429 7000", "2 HTTP 429 7000", "3 HTTP 429 7000"]);
    expect(double.requests.map((r) => r.status)).toEqual([429, 429, 429, 200]);
  });

  test("5xx and connection resets back off exponentially with jitter, then give up", async () => {
    const double = await useDouble(
      pipelineState([], { serverErrors: { remaining: 2, status: 502 }, connectionResets: 1 }),
    );
    const { client, sleeps } = useClient(double, { random: () => 0.5 });
    await client.listAll("/pipelines/1000/bridges");
    // backoff 500·2^(n-1), equal jitter with random 0.5: ¾ of it.
    expect(sleeps).toEqual([375, 750, 1500]);
    expect(double.requests.map((r) => r.status)).toEqual([0, 502, 502, 200]);

    double.state.serverErrors = { remaining: 10, status: 503 };
    const { client: impatient } = useClient(double, { maxAttempts: 3 });
    expect(await failure(impatient.listAll("/pipelines/1000/bridges"))).toEqual({
      code: "GITLAB_REQUEST_FAILED",
      exitCode: 1,
      message:
        "GET /api/v4/projects/42/pipelines/1000/bridges?per_page=100&page=1 failed after 3 attempts; last: HTTP 503.",
    });
  });

  test("a slow answer times out and is retried", async () => {
    const double = await useDouble(pipelineState([], { delayMs: 2000 }));
    const { client } = useClient(double, { timeoutMs: 200, maxAttempts: 2 });
    const error = await failure(client.listAll("/pipelines/1000/bridges"));
    expect(error.code).toBe("GITLAB_REQUEST_FAILED");
    expect(error.message).toMatch(/failed after 2 attempts; last: Headers Timeout Error/);
  });

  test("an unknown pipeline is a 404 error, not retried", async () => {
    const double = await useDouble(pipelineState([]));
    const { client } = useClient(double);
    expect((await failure(client.listAll("/pipelines/77/jobs"))).code).toBe("GITLAB_NOT_FOUND");
    expect(double.requests.length).toBe(1);
  });
});

describe("gathering", () => {
  test("downloads archives through redirects; the token never reaches object storage", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "split", archive: SPLIT_ZIP, redirect: "other-server" },
        { id: 52, name: "plan", archive: PLAN_ZIP, redirect: "same-server" },
        { id: 53, name: "direct", archive: PLAN_ZIP },
      ]),
    );
    const { client } = useClient(double);
    const cwd = await useTempDir();
    const result = await gatherArtifacts({
      client,
      cwd,
      pipelineId: "1000",
      bridge: "generate",
      targets: [
        { job: "split", directory: "out/split" },
        { job: "plan", directory: "out/plan" },
        { job: "direct", directory: join(cwd, "abs") },
      ],
      now: NOW,
    });
    const split = { bytes: SPLIT_ZIP.length, sha256: sha256Hex(SPLIT_ZIP) };
    const plan = { bytes: PLAN_ZIP.length, sha256: sha256Hex(PLAN_ZIP) };
    expect(result).toEqual({
      pipelineId: "1000",
      bridge: { id: 11, name: "generate", status: "success" },
      downstreamPipelineId: 2000,
      jobs: [
        {
          name: "split",
          id: 51,
          attempts: 1,
          directory: "out/split",
          archive: split,
          files: [{ path: "out/split/artifacts.zip", ...split }],
        },
        {
          name: "plan",
          id: 52,
          attempts: 1,
          directory: "out/plan",
          archive: plan,
          files: [{ path: "out/plan/artifacts.zip", ...plan }],
        },
        {
          name: "direct",
          id: 53,
          attempts: 1,
          directory: "abs",
          archive: plan,
          files: [{ path: "abs/artifacts.zip", ...plan }],
        },
      ],
    });
    expect(await readFile(join(cwd, "out/split/artifacts.zip"))).toEqual(SPLIT_ZIP);
    expect(await tree(cwd)).toEqual([
      "abs/artifacts.zip",
      "out/plan/artifacts.zip",
      "out/split/artifacts.zip",
    ]);
    const downloads = requestLines(double).filter((l) => l.includes("artifacts"));
    expect(downloads.sort()).toEqual([
      "200 api token /api/v4/projects/42/jobs/53/artifacts",
      "200 api token /storage/artifacts/52/artifacts.zip?X-Amz-Signature=double-signature",
      "200 storage /storage/artifacts/51/artifacts.zip?X-Amz-Signature=double-signature",
      "302 api token /api/v4/projects/42/jobs/51/artifacts",
      "302 api token /api/v4/projects/42/jobs/52/artifacts",
    ]);
  });

  test("a truncated body is retried; one that stays truncated fails and leaves nothing", async () => {
    const double = await useDouble(
      pipelineState([
        {
          id: 51,
          name: "split",
          archive: SPLIT_ZIP,
          redirect: "other-server",
          truncate: { afterBytes: 40, times: 1 },
        },
      ]),
    );
    const { client, sleeps } = useClient(double);
    const cwd = await useTempDir();
    const options = {
      client,
      cwd,
      pipelineId: "1000",
      bridge: "generate",
      targets: [{ job: "split", directory: "out" }],
      now: NOW,
    };
    const result = await gatherArtifacts(options);
    expect(result.jobs[0]!.archive).toEqual({ bytes: SPLIT_ZIP.length, sha256: sha256Hex(SPLIT_ZIP) });
    expect(sleeps).toEqual([250]);

    double.state.pipelines[1]!.jobs![0]!.truncate = { afterBytes: 40, times: 10 };
    const { client: impatient } = useClient(double, { maxAttempts: 2 });
    const fresh = await useTempDir();
    const error = await failure(gatherArtifacts({ ...options, client: impatient, cwd: fresh }));
    expect(error.code).toBe("GITLAB_DOWNLOAD_TRUNCATED");
    expect(error.message).toMatch(
      /^GET \/api\/v4\/projects\/42\/jobs\/51\/artifacts failed after 2 attempts; last: body ended after 40 of \d+ bytes/,
    );
    expect(await tree(fresh)).toEqual([]);
    expect(await readdir(fresh)).toEqual([]);
  });

  test("without Content-Length the size GitLab lists is checked", async () => {
    const double = await useDouble(
      pipelineState([{ id: 51, name: "split", archive: SPLIT_ZIP, omitContentLength: true }]),
    );
    const { client } = useClient(double);
    const cwd = await useTempDir();
    const result = await gatherArtifacts({
      client,
      cwd,
      pipelineId: "1000",
      bridge: "generate",
      targets: [{ job: "split", directory: "." }],
      now: NOW,
    });
    expect(result.jobs[0]!.files).toEqual([
      { path: "artifacts.zip", bytes: SPLIT_ZIP.length, sha256: sha256Hex(SPLIT_ZIP) },
    ]);
  });

  test("extracts archives, reporting each file with bytes and sha256, and writes a dotenv report", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "split", archive: SPLIT_ZIP, redirect: "other-server" },
        { id: 52, name: "plan", archive: PLAN_ZIP },
      ]),
    );
    const { client } = useClient(double);
    const cwd = await useTempDir({ "plan/amd64.yml": "old content\n" });
    const result = await gatherArtifacts({
      client,
      cwd,
      pipelineId: "1000",
      bridge: "generate",
      targets: [
        { job: "split", directory: "." },
        { job: "plan", directory: "." },
      ],
      extract: true,
      dotenv: { file: "gather.env", variables: [{ name: "CHILD_PIPELINE", value: "2000" }] },
      now: NOW,
    });
    const file = (path: string, text: string) => ({ path, bytes: text.length, sha256: sha256Hex(text) });
    expect(result.jobs.map((j) => j.files)).toEqual([
      [
        file("split/amd64/pipeline-1.yml", "stages: [build]\n"),
        file("split/amd64/pipeline-2.yml", "stages: [build]\nx: 1\n"),
      ],
      [file("plan/amd64.yml", "jobs: {}\n")],
    ]);
    expect(result.dotenv).toEqual({ path: "gather.env", variables: 1, bytes: 20 });
    expect(await tree(cwd)).toEqual([
      "gather.env",
      "plan/amd64.yml",
      "split/amd64/pipeline-1.yml",
      "split/amd64/pipeline-2.yml",
    ]);
    expect(await readFile(join(cwd, "plan/amd64.yml"), "utf8")).toBe("jobs: {}\n");
    expect(await readFile(join(cwd, "gather.env"), "utf8")).toBe("CHILD_PIPELINE=2000\n");
  });

  test("a zip-slip archive is refused whole, listing every bad entry (also those that cannot be written: a file/folder clash, a 300-character name), and nothing is written", async () => {
    const long = `${"n".repeat(300)}.yml`;
    const slip = createArtifactZip([
      { name: "split/amd64/pipeline.yml", data: "jobs: {}\n" },
      { name: "split/amd64", data: "a file where a folder is needed" },
      { name: `split/${long}`, data: "x" },
      { name: "plan/" },
      { name: "plan/amd64.yml/inner.yml", data: "x" },
      { name: "plan/amd64.yml", data: "x" },
      { name: "ok.txt", data: "fine" },
      { name: "../escape.txt", data: "x" },
      { name: "/etc/passwd", data: "x" },
      { name: "a/../../b", data: "x" },
      { name: "..\\windows.txt", data: "x" },
      { name: "link", symlink: "/etc/shadow" },
      { name: "ok.txt", data: "again" },
    ]);
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "slip", archive: slip },
        { id: 52, name: "plan", archive: PLAN_ZIP },
      ]),
    );
    const { client } = useClient(double);
    const root = await useTempDir({ "keep.txt": "keep" });
    const cwd = join(root, "work");
    const error = await failure(
      gatherArtifacts({
        client,
        cwd,
        pipelineId: "1000",
        bridge: "generate",
        targets: [
          { job: "plan", directory: "deep/new/dir" },
          { job: "slip", directory: "." },
        ],
        extract: true,
        concurrency: 1,
        now: NOW,
      }),
    );
    expect(error).toEqual({
      code: "ARTIFACT_ARCHIVE_UNSAFE",
      exitCode: 2,
      message: [
        'refusing to extract the artifacts of job "slip" (51); nothing was written:',
        `  - "split/${long}": a name of 304 bytes, longer than the 255 a file system accepts`,
        `  - "../escape.txt": '..' would escape the target folder`,
        '  - "/etc/passwd": absolute path',
        `  - "a/../../b": '..' would escape the target folder`,
        `  - "../windows.txt": '..' would escape the target folder`,
        '  - "link": symbolic link',
        '  - "ok.txt": duplicate entry',
        '  - "split/amd64": a file, but the entry "split/amd64/pipeline.yml" needs a folder of that name',
        '  - "plan/amd64.yml": a file, but the entry "plan/amd64.yml/inner.yml" needs a folder of that name',
      ].join("\n"),
    });
    expect(await tree(root)).toEqual(["keep.txt"]);
  });

  test("the cap on extracted bytes holds over the whole run", async () => {
    const big = createArtifactZip([{ name: "big.bin", data: "x".repeat(600), deflate: true }]);
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "one", archive: big },
        { id: 52, name: "two", archive: createArtifactZip([{ name: "two.bin", data: "y".repeat(600) }]) },
      ]),
    );
    const { client } = useClient(double);
    const cwd = await useTempDir();
    const base = {
      client,
      cwd,
      pipelineId: "1000",
      bridge: "generate",
      extract: true,
      concurrency: 1,
      now: NOW,
    };
    expect(
      await failure(
        gatherArtifacts({ ...base, targets: [{ job: "one", directory: "a" }], maxExtractedBytes: 500 }),
      ),
    ).toEqual({
      code: "ARTIFACT_ARCHIVE_UNSAFE",
      exitCode: 2,
      message:
        'refusing to extract the artifacts of job "one" (51); nothing was written:\n  - entries total 600 bytes uncompressed, more than the cap of 500 bytes',
    });
    const error = await failure(
      gatherArtifacts({
        ...base,
        targets: [
          { job: "one", directory: "a" },
          { job: "two", directory: "b" },
        ],
        maxExtractedBytes: 1000,
      }),
    );
    expect(error.message).toMatch(/more than the cap of 400 bytes/);
    expect(await readdir(cwd)).toEqual([]);
  });

  test("two extracted archives writing the same file are refused", async () => {
    const double = await useDouble(
      pipelineState([
        { id: 51, name: "one", archive: PLAN_ZIP },
        { id: 52, name: "two", archive: PLAN_ZIP },
      ]),
    );
    const { client } = useClient(double);
    const cwd = await useTempDir();
    const targets = [
      { job: "one", directory: "." },
      { job: "two", directory: "." },
    ];
    expect(
      await failure(
        gatherArtifacts({
          client,
          cwd,
          pipelineId: "1000",
          bridge: "generate",
          targets,
          extract: true,
          now: NOW,
        }),
      ),
    ).toEqual({
      code: "GATHER_PATH_COLLISION",
      exitCode: 1,
      message:
        'artifacts of several jobs write the same files; nothing was written:\n  - plan/amd64.yml: in "one" and "two"',
    });
    expect(await readdir(cwd)).toEqual([]);
  });

  test("bad targets and a dotenv report GitLab would refuse fail before any request", async () => {
    const double = await useDouble(pipelineState([]));
    const { client } = useClient(double);
    const cwd = await useTempDir();
    const base = { client, cwd, pipelineId: "1000", bridge: "generate", now: NOW };
    expect(
      await failure(
        gatherArtifacts({
          ...base,
          targets: [
            { job: "a", directory: "x" },
            { job: "b", directory: "x/" },
            { job: "a", directory: "y" },
          ],
        }),
      ),
    ).toEqual({
      code: "GATHER_TARGETS_INVALID",
      exitCode: 2,
      message: [
        "invalid jobs to gather:",
        '  - jobs "a" and "b" both write x/artifacts.zip; give each its own folder or use --extract',
        '  - job "a" given twice',
      ].join("\n"),
    });
    const variables = Array.from({ length: 21 }, (_, i) => ({ name: `V${i}`, value: "v".repeat(250) }));
    variables.push({ name: "1BAD", value: "two\nlines" });
    expect(
      await failure(
        gatherArtifacts({
          ...base,
          targets: [{ job: "a", directory: "." }],
          dotenv: { file: "x.env", variables },
        }),
      ),
    ).toEqual({
      code: "DOTENV_INVALID",
      exitCode: 2,
      message: [
        "the dotenv report would be refused by GitLab:",
        '  - "1BAD": a name has letters, digits and _ only, not starting with a digit',
        "  - 1BAD: value spans several lines; GitLab's dotenv takes one line per variable",
        "  - 22 variables, GitLab accepts at most 20",
        "  - 5360 bytes, GitLab accepts at most 5120",
      ].join("\n"),
    });
    expect(double.requests).toEqual([]);
    expect(await readdir(cwd)).toEqual([]);
  });
});
