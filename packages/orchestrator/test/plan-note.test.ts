import { runBin, startGitlabApiDouble } from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PLAN_NOTE_MARKER } from "../src/upsert-merge-request-note.js";
import { createFixtureRepo, E2E_BRANCH } from "./helpers/e2e-repo.js";

const TOKEN = "glpat-plan-note-secret";
let repo: Awaited<ReturnType<typeof createFixtureRepo>>;

beforeAll(async () => {
  repo = await createFixtureRepo();
});
afterAll(async () => {
  await repo.remove();
});

test("plan-note creates one note on the first push and updates it in place on the next", async () => {
  const now = () => new Date("2026-01-02T03:04:05Z");
  const gitlab = await startGitlabApiDouble({
    projectId: "42",
    tokens: [TOKEN],
    pipelines: [],
    now: now(),
    // Someone else's notes, more than one page of them (per_page 100), one quoting ours.
    mergeRequests: [
      {
        iid: 7,
        notes: Array.from({ length: 120 }, (_, i) => ({
          id: i + 1,
          body: i === 50 ? `> ${PLAN_NOTE_MARKER}\n> quoted` : `comment ${i}`,
          system: i % 10 === 0,
          author: "alice",
          created_at: "2026-01-01T00:00:00.000Z",
          updated_at: "2026-01-01T00:00:00.000Z",
        })),
      },
    ],
  });
  const env = {
    CI_API_V4_URL: gitlab.url,
    CI_PROJECT_ID: "42",
    CI_MERGE_REQUEST_IID: "7",
    CI_COMMIT_REF_NAME: E2E_BRANCH,
    CI_DEFAULT_BRANCH: "main",
    CI_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    CI_PIPELINE_URL: "https://gitlab.example.org/group/project/-/pipelines/99",
    GITLAB_API_TOKEN: TOKEN,
  };
  try {
    const first = await runBin("orchestrator", ["plan-note", "--root", repo.root], { env, cleanEnv: true });
    expect({ code: first.code, stderr: first.stderr.trim() }).toEqual({
      code: 0,
      stderr: "spacktainers: created note 121 on merge request !7",
    });
    const second = await runBin("orchestrator", ["plan-note", "--root", repo.root, "--json"], {
      env: { ...env, CI_COMMIT_SHA: "fedcba9876543210fedcba9876543210fedcba98" },
      cleanEnv: true,
    });
    expect({ code: second.code, stdout: JSON.parse(second.stdout) }).toEqual({
      code: 0,
      stdout: { action: "updated", noteId: 121 },
    });
    const notes = gitlab.state.mergeRequests![0]!.notes;
    expect(notes.filter((note) => note.body.startsWith(PLAN_NOTE_MARKER)).map((n) => n.id)).toEqual([121]);
    const ours = notes.at(-1)!;
    expect(ours.body).toMatchInlineSnapshot(`
      "<!-- spacktainers:plan -->
      ### spacktainers plan

      What a pipeline of this branch would build, upload and push (commit \`fedcba987654\`, [pipeline](https://gitlab.example.org/group/project/-/pipelines/99)). This note is updated on every push.

      | CONTAINER | ARCH | KIND | TAG | IMAGE | SIF | DOCKER HUB |
      | --- | --- | --- | --- | --- | --- | --- |
      | (base) builder | amd64,arm64 | base | efedac956375 | build | - | - |
      | (base) runtime | amd64,arm64 | base | 14b8b6c3bdd3 | build | - | - |
      | (base) singularitah | amd64,arm64 | base | 82016be10625 | build | - | - |
      | fixture-app | amd64 | spack | ? | build | build | - |
      | storage | amd64 | custom | 2.1.0__feature-e2e__amd64 | - | build | - |
      | zlib-tools | amd64 | spack | ? | build | build | - |
      | compress | arm64 | spack | ? | build | build | - |

      > Registry and S3 were not asked (no credentials in this job): everything shows as \`build\`.

      <details><summary>Why</summary>

      - (base) builder: not checked (offline)
      - (base) runtime: not checked (offline)
      - (base) singularitah: not checked (offline)
      - fixture-app (amd64) image: not concretized yet: the version and tag come from out/environments/amd64/fixture-app/spack.lock
      - fixture-app (amd64) sif: not concretized yet: the version and tag come from out/environments/amd64/fixture-app/spack.lock
      - storage (amd64) sif: not checked (offline)
      - zlib-tools (amd64) image: not concretized yet: the version and tag come from out/environments/amd64/zlib-tools/spack.lock
      - zlib-tools (amd64) sif: not concretized yet: the version and tag come from out/environments/amd64/zlib-tools/spack.lock
      - compress (arm64) image: not concretized yet: the version and tag come from out/environments/arm64/compress/spack.lock
      - compress (arm64) sif: not concretized yet: the version and tag come from out/environments/arm64/compress/spack.lock

      </details>
      "
    `);
    expect(
      gitlab.requests.map(({ method, path, status }) => `${method} ${path.split("?")[0]} ${status}`),
    ).toEqual([
      "GET /api/v4/projects/42/merge_requests/7/notes 200",
      "GET /api/v4/projects/42/merge_requests/7/notes 200",
      "POST /api/v4/projects/42/merge_requests/7/notes 201",
      "GET /api/v4/projects/42/merge_requests/7/notes 200",
      "GET /api/v4/projects/42/merge_requests/7/notes 200",
      "PUT /api/v4/projects/42/merge_requests/7/notes/121 200",
    ]);
    for (const output of [first.stdout, first.stderr, second.stdout, second.stderr])
      expect(output).not.toContain(TOKEN);
  } finally {
    await gitlab.stop();
  }
});

test("plan-note outside a merge-request pipeline says what is missing and exits 2", async () => {
  const result = await runBin("orchestrator", ["plan-note", "--root", repo.root], { cleanEnv: true });
  expect({ code: result.code, stderr: result.stderr.trim() }).toEqual({
    code: 2,
    stderr:
      "spacktainers: error: missing CI variable(s) CI_MERGE_REQUEST_IID: this command runs in a GitLab CI job",
  });
});
