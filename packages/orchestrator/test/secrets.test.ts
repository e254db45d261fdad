import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createS3Storage } from "@spacktainers/cache-janitor";
import {
  createArtifactZip,
  type GitlabApiDouble,
  OCI_REGISTRY_TEST_CREDENTIALS,
  type OciRegistry,
  type S3Server,
  startGitlabApiDouble,
  startOciRegistry,
  startS3Server,
} from "@spacktainers/test-utils";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { unsafeScriptLines } from "./secrets/audit-scripts.js";
import {
  type CheckedRun,
  CREDENTIAL_VARIABLES,
  createWorkspace,
  findLeaks,
  listAllFiles,
  makeSentinels,
  runAndScan,
  SECRETS_FIXTURES,
  sentinel,
  sentinelEnv,
  type Workspace,
} from "./secrets/sentinels.js";

/**
 * The secrets test of issue 8: every bin runs with a unique sentinel value in every credential
 * variable, on success paths and on error paths (bad flags, bad input, 401/403 from real local
 * services), and no sentinel may appear in stdout, stderr, or any file written under the
 * workspace (which also holds the runs' HOME and TMPDIR). `$VAR` references are fine: only
 * values are looked for (their random part, so escaped, quoted or URL-encoded copies count too,
 * plus base64 of each value and of each user:password pair).
 */

const sentinels = makeSentinels();
const tokenFile = sentinel("TOKEN_FILE");
const NOW = "2026-01-31T12:00:00Z";
const CACHE_BUCKET = "secrets-cache-amd64";
const SIF_BUCKET = "secrets-sif";

let s3: S3Server;
let registry: OciRegistry;
let gitlab: GitlabApiDouble;
let workspace: Workspace;

/** Every sentinel, plus GitLab's repository URL, which carries the job token in every real job. */
function baseEnv(): Record<string, string> {
  return {
    ...sentinelEnv(sentinels),
    CI_REPOSITORY_URL: `https://gitlab-ci-token:${sentinels.CI_JOB_TOKEN.value}@gitlab.example.com/group/project.git`,
  };
}

/** A branch pipeline in GitLab CI, talking to the local services. */
function ciEnv(): Record<string, string> {
  return {
    ...baseEnv(),
    CI: "true",
    GITLAB_CI: "true",
    CI_COMMIT_REF_NAME: "feature/secrets",
    CI_COMMIT_REF_SLUG: "feature-secrets",
    CI_DEFAULT_BRANCH: "main",
    CI_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
    CI_PIPELINE_ID: "1000",
    CI_PROJECT_ID: "42",
    CI_API_V4_URL: gitlab.url,
    CI_PROJECT_URL: "https://gitlab.example.com/group/project",
    CI_REGISTRY_IMAGE: `${registry.host}/group/project`,
    CI_PROJECT_DIR: workspace.root,
  };
}

/** s3rver accepts only its own account: these replace a sentinel pair where a run must succeed. */
function s3rverCredentials(accessKeyVar: string, secretKeyVar: string): Record<string, string> {
  return { [accessKeyVar]: s3.accessKeyId, [secretKeyVar]: s3.secretAccessKey };
}

async function run(
  pkg: string,
  args: readonly string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<CheckedRun> {
  return runAndScan({ ...sentinels, TOKEN_FILE: tokenFile }, workspace, pkg, args, {
    env,
    ...(cwd ? { cwd } : {}),
  });
}

/** What a test compares: exit code, leaks, and one line proving the intended path was taken. */
function outcome(result: CheckedRun, evidence: RegExp) {
  const text = `${result.stdout}\n${result.stderr}`;
  return { code: result.code, leaks: result.leaks, evidence: evidence.test(text) ? "found" : text };
}

async function copyFixture(from: string, to: string): Promise<void> {
  const target = join(workspace.root, to);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(join(SECRETS_FIXTURES, from), target);
}

/** `spacktainers generate`, offline, as the other steps' starting point. */
async function generate(): Promise<void> {
  const result = await run("orchestrator", ["generate", "--now", NOW], baseEnv());
  expect({ code: result.code, leaks: result.leaks }).toEqual({ code: 0, leaks: [] });
}

beforeAll(async () => {
  [s3, registry] = await Promise.all([
    startS3Server({ buckets: [CACHE_BUCKET, SIF_BUCKET] }),
    startOciRegistry({ auth: "htpasswd" }),
  ]);
  const archive = (arch: string, what: "split" | "containers") =>
    createArtifactZip([{ name: `out/${what}/${arch}/pipeline.yml`, data: `# ${what} ${arch}\n` }]);
  gitlab = await startGitlabApiDouble({
    projectId: "42",
    tokens: [sentinels.READ_API_CREDENTIAL_VALUE.value, tokenFile.value],
    pipelines: [
      { id: 1000, bridges: [{ id: 500, name: "concretize and plan", downstreamPipelineId: 1001 }] },
      {
        id: 1001,
        jobs: [
          { id: 601, name: "split spack pipeline for amd64", archive: archive("amd64", "split") },
          { id: 602, name: "plan containers for amd64", archive: archive("amd64", "containers") },
          { id: 603, name: "split spack pipeline for arm64", archive: archive("arm64", "split") },
          { id: 604, name: "plan containers for arm64", archive: archive("arm64", "containers") },
        ],
      },
    ],
  });
  const client = s3.client();
  try {
    const storage = createS3Storage({ bucket: CACHE_BUCKET, client });
    const cache = join(SECRETS_FIXTURES, "cache/v3");
    for (const key of await listAllFiles(cache)) await storage.put(key, await readFile(join(cache, key)));
  } finally {
    client.destroy();
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), registry?.stop(), gitlab?.stop()]);
});

beforeEach(async () => {
  workspace = await createWorkspace({ s3Endpoint: s3.endpoint, registryHost: registry.host });
});

afterEach(async () => {
  await workspace.remove();
});

describe("spacktainers-definitions", () => {
  it("validate and list --json print no credential", async () => {
    const validate = await run("definitions-parser", ["validate"], ciEnv());
    expect(outcome(validate, /valid: 3 containers/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    const list = await run("definitions-parser", ["list", "--json"], ciEnv());
    expect(outcome(list, /"mainPackage": "fixture-app"/)).toEqual({ code: 0, leaks: [], evidence: "found" });
  });

  it("bad input and bad flags print no credential", async () => {
    await writeFile(join(workspace.root, "container_definitions/amd64/Bad Name.yaml"), "spack: {specs: 3}\n");
    const invalid = await run("definitions-parser", ["validate"], ciEnv());
    expect(outcome(invalid, /Bad Name\.yaml/)).toEqual({ code: 2, leaks: [], evidence: "found" });
    const flag = await run("definitions-parser", ["list", "--token", "x"], ciEnv());
    expect(outcome(flag, /--token/)).toEqual({ code: 2, leaks: [], evidence: "found" });
  });
});

describe("spacktainers-spack-env", () => {
  it("write and describe print and write no credential", async () => {
    const write = await run("spack-env-builder", ["write", "--arch", "amd64", "--out", "envs"], ciEnv());
    expect(outcome(write, /wrote 1 environment for amd64/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    await copyFixture("locks/amd64-app.spack.lock", "envs/amd64/app/spack.lock");
    const describeRun = await run(
      "spack-env-builder",
      ["describe", "--arch", "amd64", "--container", "app", "--lock", "envs/amd64/app/spack.lock", "--json"],
      { ...ciEnv(), SPACKTAINERS_NOW: NOW },
    );
    expect(outcome(describeRun, /"tag": "[^"]+__feature-secrets"/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
  });

  it("a lock without the main package prints no credential", async () => {
    await copyFixture("locks/arm64-app.spack.lock", "wrong.lock");
    const result = await run(
      "spack-env-builder",
      ["describe", "--arch", "amd64", "--container", "app", "--lock", "wrong.lock"],
      ciEnv(),
    );
    expect(outcome(result, /fixture-app/)).toEqual({ code: 2, leaks: [], evidence: "found" });
  });
});

describe("spacktainers (orchestrator)", () => {
  it("generate offline and in CI writes and prints no credential", async () => {
    const offline = await run("orchestrator", ["generate", "--now", NOW], baseEnv());
    expect(outcome(offline, /offline: registry and S3 checks were skipped/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    const ci = await run("orchestrator", ["generate", "--now", NOW, "--json"], ciEnv());
    expect(outcome(ci, /"jobCount": 15/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    // The credentials are in the pipeline, by name.
    const pipeline = await readFile(join(workspace.root, "out/pipeline.yml"), "utf8");
    expect(pipeline).toContain("src=$SPACK_DEPLOYMENT_KEY_PUBLIC");
  });

  it("generate with bad flags prints no credential", async () => {
    const now = await run("orchestrator", ["generate", "--now", "yesterday"], ciEnv());
    expect(outcome(now, /--now: takes an ISO 8601 date/)).toEqual({ code: 2, leaks: [], evidence: "found" });
    const flag = await run("orchestrator", ["generate", `--password=${"x".repeat(8)}`], ciEnv());
    expect(outcome(flag, /--password/)).toEqual({ code: 2, leaks: [], evidence: "found" });
  });

  it("containers offline, and in CI against the registry and S3 with rejected and accepted credentials", async () => {
    await generate();
    await copyFixture("locks/amd64-app.spack.lock", "out/environments/amd64/app/spack.lock");
    const offline = await run(
      "orchestrator",
      ["containers", "--arch", "amd64", "--pipeline-id", "1000", "--now", NOW],
      baseEnv(),
    );
    expect(outcome(offline, /app:[^ ]+ .*not checked \(offline\)/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    // The site config has no plain-HTTP registry setting: the loopback registry fails over TLS.
    // A failed check means "build, to be safe" with the error as the reason (no secret in it).
    const registryDown = await run(
      "orchestrator",
      ["containers", "--arch", "amd64", "--pipeline-id", "1000", "--now", NOW],
      ciEnv(),
    );
    expect(
      outcome(registryDown, /sif: build — could not check \(cannot reach https:\/\/127\.0\.0\.1/),
    ).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    // Without a registry user nothing is asked (the custom container's source digest is unknown,
    // so its SIF is not looked up either): every decision is "not checked".
    const noRegistry = await run(
      "orchestrator",
      ["containers", "--arch", "amd64", "--pipeline-id", "1000", "--now", NOW, "--json"],
      {
        ...ciEnv(),
        CI_REGISTRY_USER: "",
        ...s3rverCredentials("SIF_AWS_ACCESS_KEY_ID", "SIF_AWS_SECRET_ACCESS_KEY"),
      },
    );
    expect(outcome(noRegistry, /"tag": "2\.0__feature-secrets"/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
  });

  it("containers without the concretized lock prints no credential", async () => {
    await generate();
    const result = await run(
      "orchestrator",
      ["containers", "--arch", "amd64", "--pipeline-id", "1000", "--now", NOW],
      ciEnv(),
    );
    expect(outcome(result, /cannot read out\/environments\/amd64\/app\/spack\.lock/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
  });

  it("split of a real Spack pipeline, and without a pipeline id", async () => {
    await generate();
    await copyFixture("spack/amd64-app.pipeline.yml", "out/jobs_scratch_dir.amd64/app/pipeline.yml");
    const split = await run("orchestrator", ["split", "--arch", "amd64"], ciEnv());
    expect(outcome(split, /amd64: \d+ jobs read/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    const noId = await run("orchestrator", ["split", "--arch", "amd64"], baseEnv());
    expect(outcome(noId, /--pipeline-id \(or CI_PIPELINE_ID\) is required/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
  });

  it("gather through the GitLab API with an accepted token, and a rejected one", async () => {
    await generate();
    const accepted = await run("orchestrator", ["gather", "--now", NOW], ciEnv());
    expect(outcome(accepted, /plan containers for arm64: 1 files/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    const tokens = gitlab.state.tokens;
    gitlab.state.tokens = [];
    try {
      const rejected = await run("orchestrator", ["gather", "--now", NOW], ciEnv());
      expect(outcome(rejected, /401/)).toEqual({ code: 1, leaks: [], evidence: "found" });
    } finally {
      gitlab.state.tokens = tokens;
    }
  });

  it("remove-stale-sifs, parent-pipeline and validate print no credential", async () => {
    // The double lists no branch: the command refuses (every branch SIF would look stale).
    gitlab.state.branches = [];
    try {
      const stale = await run("orchestrator", ["remove-stale-sifs", "--now", NOW], ciEnv());
      expect(outcome(stale, /GitLab listed no branches for this project; refusing to remove SIFs/)).toEqual({
        code: 1,
        leaks: [],
        evidence: "found",
      });
    } finally {
      delete gitlab.state.branches;
    }
    const parent = await run("orchestrator", ["parent-pipeline", "--write"], ciEnv());
    expect(outcome(parent, /wrote .*\.gitlab-ci\.yml/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    const validate = await run("orchestrator", ["validate", "--json"], ciEnv());
    expect(outcome(validate, /"valid": true/)).toEqual({ code: 0, leaks: [], evidence: "found" });
  });
});

describe("spacktainers-ci-split", () => {
  it("splits a real Spack pipeline, and rejects bad flags, printing no credential", async () => {
    await copyFixture("spack/amd64-app.pipeline.yml", "jobs_scratch_dir.amd64/app/pipeline.yml");
    const split = await run("ci-splitter", ["--arch", "amd64", "--out", "split", "--json"], ciEnv());
    expect(outcome(split, /"uniqueJobs": \d+/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    const bad = await run("ci-splitter", ["--arch", "amd64", "--out", "split", "--max-jobs", "0"], ciEnv());
    expect(outcome(bad, /--max-jobs: takes a whole number ≥ 1/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
    const arch = await run("ci-splitter", ["--arch", "ppc64le", "--out", "split"], ciEnv());
    expect(outcome(arch, /ppc64le/)).toEqual({ code: 2, leaks: [], evidence: "found" });
  });
});

describe("spacktainers-gather", () => {
  const args = [
    "--bridge",
    "concretize and plan",
    "--job",
    "plan containers for amd64=gathered",
    "--extract",
  ];

  it("gathers with a token file and writes a dotenv report", async () => {
    // The token file is the test's input, outside what the scan looks at.
    await writeFile(join(workspace.inputs, "token"), `${tokenFile.value}\n`);
    const result = await run(
      "artifact-gatherer",
      [
        ...args,
        "--token-file",
        join(workspace.inputs, "token"),
        "--dotenv",
        "gather.env",
        "--variable",
        "PARENT_PIPELINE_ID=1000",
      ],
      ciEnv(),
    );
    expect(outcome(result, /wrote gather\.env/)).toEqual({ code: 0, leaks: [], evidence: "found" });
  });

  it("a rejected token, a job token and bad flags print no credential", async () => {
    const rejected = await run("artifact-gatherer", args, ciEnv());
    expect(outcome(rejected, /401/)).toEqual({ code: 1, leaks: [], evidence: "found" });
    const job = await run("artifact-gatherer", [...args, "--token-variable", "CI_JOB_TOKEN"], ciEnv());
    expect(outcome(job, /CI_JOB_TOKEN cannot be used here/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
    const bad = await run("artifact-gatherer", ["--timeout", "soon", "--api-url", "ftp://x"], ciEnv());
    expect(outcome(bad, /--timeout: takes a whole number ≥ 1, got "soon"/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
  });
});

describe("spacktainers-janitor", () => {
  const cache = ["--cache", `s3://${CACHE_BUCKET}`, "--now", NOW];

  it("plans against S3 with accepted credentials and writes a report", async () => {
    const plan = await run(
      "cache-janitor",
      ["plan", ...cache, "--endpoint", s3.endpoint, "--max-age", "1", "--report", "plan.json"],
      { ...ciEnv(), ...s3rverCredentials("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") },
    );
    expect(outcome(plan, /Build cache s3:\/\/secrets-cache-amd64 \(layout v3\): 16 objects/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    const orphans = await run("cache-janitor", ["orphans", ...cache, "--endpoint", s3.endpoint, "--json"], {
      ...ciEnv(),
      ...s3rverCredentials("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    });
    expect(outcome(orphans, /"deletions": \[/)).toEqual({ code: 0, leaks: [], evidence: "found" });
  });

  it("prune with rejected credentials and bad flags print no credential", async () => {
    const prune = await run(
      "cache-janitor",
      ["prune", ...cache, "--endpoint", s3.endpoint, "--max-age", "1", "--apply", "--report", "prune.json"],
      ciEnv(),
    );
    expect(outcome(prune, /InvalidAccessKeyId/)).toEqual({ code: 1, leaks: [], evidence: "found" });
    const bad = await run("cache-janitor", ["prune", ...cache, "--max-delete-fraction", "lots"], ciEnv());
    expect(outcome(bad, /--max-delete-fraction: takes a number between 0 and 1, got "lots"/)).toEqual({
      code: 2,
      leaks: [],
      evidence: "found",
    });
  });
});

describe("spacktainers-image", () => {
  const image = () => ["--image", `${registry.host}/group/project/app:1.0`, "--plain-http", registry.host];

  it("needs-build against the registry with a rejected and an accepted password", async () => {
    const rejected = await run("image-builder", ["needs-build", ...image(), "--online"], ciEnv());
    expect(outcome(rejected, /401/)).toEqual({ code: 1, leaks: [], evidence: "found" });
    const accepted = await run("image-builder", ["needs-build", ...image(), "--online", "--json"], {
      ...ciEnv(),
      CI_REGISTRY_USER: OCI_REGISTRY_TEST_CREDENTIALS.username,
      CI_REGISTRY_PASSWORD: OCI_REGISTRY_TEST_CREDENTIALS.password,
    });
    expect(outcome(accepted, /"action": "build"/)).toEqual({ code: 0, leaks: [], evidence: "found" });
  });

  it("upload-sif, download-sif and needs-build --sif-bucket against S3", async () => {
    await writeFile(join(workspace.dir, "app.sif"), "SIF bytes");
    const s3Args = ["--bucket", SIF_BUCKET, "--key", "containers/app__1.0.sif", "--endpoint", s3.endpoint];
    const creds = s3rverCredentials("SIF_AWS_ACCESS_KEY_ID", "SIF_AWS_SECRET_ACCESS_KEY");
    const varFlags = [
      "--access-key-var",
      "SIF_AWS_ACCESS_KEY_ID",
      "--secret-key-var",
      "SIF_AWS_SECRET_ACCESS_KEY",
    ];
    const rejected = await run(
      "image-builder",
      ["upload-sif", "--file", "../app.sif", ...s3Args, ...varFlags, "--metadata", "digest=1"],
      ciEnv(),
    );
    expect(outcome(rejected, /The AWS Access Key Id you provided does not exist/)).toEqual({
      code: 1,
      leaks: [],
      evidence: "found",
    });
    const uploaded = await run(
      "image-builder",
      ["upload-sif", "--file", "../app.sif", ...s3Args, ...varFlags, "--metadata", "digest=1"],
      { ...ciEnv(), ...creds },
    );
    expect(outcome(uploaded, /uploaded 9 bytes/)).toEqual({ code: 0, leaks: [], evidence: "found" });
    const downloaded = await run(
      "image-builder",
      ["download-sif", ...s3Args, ...varFlags, "--file", "downloaded.sif"],
      { ...ciEnv(), ...creds },
    );
    expect(outcome(downloaded, /downloaded\.sif \(9 bytes\)/)).toEqual({
      code: 0,
      leaks: [],
      evidence: "found",
    });
    const sif = await run(
      "image-builder",
      [
        "needs-build",
        "--sif-bucket",
        SIF_BUCKET,
        "--sif-key",
        "containers/app__1.0.sif",
        "--metadata",
        "digest=1",
      ],
      { ...ciEnv(), S3_ENDPOINT: s3.endpoint },
    );
    expect(
      outcome(sif, /HeadObject s3:\/\/secrets-sif\/containers\/app__1\.0\.sif failed: Unknown \(403\)/),
    ).toEqual({ code: 1, leaks: [], evidence: "found" });
  });

  it("bad flags print no credential", async () => {
    const bad = await run("image-builder", ["upload-sif", "--file", "x", "--bucket", "b", "--key", "k"], {
      ...ciEnv(),
      AWS_ACCESS_KEY_ID: "",
    });
    expect(outcome(bad, /S3 credentials missing/)).toEqual({ code: 2, leaks: [], evidence: "found" });
  });
});

describe("emitted pipelines", () => {
  it("reference credentials only in forms that never print them in a job log", async () => {
    // Default branch, offline: every job is planned, Docker Hub and the site copy included.
    const env = {
      ...baseEnv(),
      CI_COMMIT_REF_NAME: "main",
      CI_DEFAULT_BRANCH: "main",
      CI_PIPELINE_ID: "1000",
    };
    for (const args of [
      ["generate", "--now", NOW],
      ["parent-pipeline", "--write"],
    ]) {
      const result = await run("orchestrator", args, env);
      expect({ code: result.code, leaks: result.leaks }).toEqual({ code: 0, leaks: [] });
    }
    for (const arch of ["amd64", "arm64"]) {
      await copyFixture(`locks/${arch}-app.spack.lock`, `out/environments/${arch}/app/spack.lock`);
      const containers = await run(
        "orchestrator",
        ["containers", "--arch", arch, "--pipeline-id", "1000", "--now", NOW],
        env,
      );
      expect({ code: containers.code, leaks: containers.leaks }).toEqual({ code: 0, leaks: [] });
    }
    await copyFixture("spack/amd64-app.pipeline.yml", "out/jobs_scratch_dir.amd64/app/pipeline.yml");
    const split = await run("orchestrator", ["split", "--arch", "amd64"], env);
    expect({ code: split.code, leaks: split.leaks }).toEqual({ code: 0, leaks: [] });

    const pipelines = [
      ".gitlab-ci.yml",
      ...(await listAllFiles(join(workspace.root, "out")))
        .filter(
          (file) =>
            file.endsWith(".yml") &&
            !file.startsWith("environments/") &&
            !file.startsWith("jobs_scratch_dir"),
        )
        .map((file) => `out/${file}`),
    ];
    expect(pipelines).toEqual([
      ".gitlab-ci.yml",
      "out/containers/amd64/pipeline.yml",
      "out/containers/arm64/pipeline.yml",
      "out/pipeline.yml",
      "out/split/amd64/chunks/stage-0.yml",
      "out/split/amd64/chunks/stage-1.yml",
      "out/split/amd64/pipeline.yml",
    ]);
    const unsafe: string[] = [];
    for (const file of pipelines) {
      const text = await readFile(join(workspace.root, file), "utf8");
      unsafe.push(...unsafeScriptLines(text, CREDENTIAL_VARIABLES).map((line) => `${file}: ${line}`));
    }
    expect(unsafe).toEqual([]);
    // The credentials are used (by name): the audit looked at the lines that matter.
    const containers = await readFile(join(workspace.root, "out/containers/amd64/pipeline.yml"), "utf8");
    expect(containers).toContain("printf '%s' \"$HUB_PASSPHRASE\" | skopeo login");
    expect(containers).toContain("--access-key-var SIF_AWS_ACCESS_KEY_ID");
  });
});

describe("the scan itself", () => {
  it("finds a sentinel raw, JSON-escaped, URL-encoded and in base64, and not a masked one", () => {
    const password = sentinels.CI_REGISTRY_PASSWORD.value;
    const basic = Buffer.from(`${sentinels.CI_REGISTRY_USER.value}:${password}`).toString("base64");
    expect(
      findLeaks(sentinels, [
        { where: "raw", text: `token ${sentinels.GITLAB_API_TOKEN.value}` },
        { where: "json", text: JSON.stringify({ password }) },
        { where: "url", text: `https://x:${encodeURIComponent(password)}@host/` },
        { where: "header", text: `authorization: Basic ${basic}` },
        { where: "base64", text: Buffer.from(sentinels.ARM_SIF_KEY_VALUE.value).toString("base64") },
        { where: "masked", text: "token [MASKED] and $GITLAB_API_TOKEN" },
      ]),
    ).toEqual([
      "raw: value of GITLAB_API_TOKEN",
      "json: value of CI_REGISTRY_PASSWORD",
      "url: value of CI_REGISTRY_PASSWORD",
      "header: basic auth of CI_REGISTRY_USER:CI_REGISTRY_PASSWORD",
      "base64: base64 of ARM_SIF_KEY_VALUE",
    ]);
  });

  it("flags script lines that would print a credential", () => {
    const text = `job:
  before_script: [set -x]
  script:
    - echo "$CI_REGISTRY_PASSWORD" | buildah login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"
    - echo "key is $ARM_SIF_KEY_VALUE"
    - skopeo copy --dest-creds "$HUB_LOGIN:$HUB_PASSPHRASE" a b
    - buildah build --secret id=key,env=ARM_SIF_KEY_VALUE .
    - printenv
`;
    expect(unsafeScriptLines(text, CREDENTIAL_VARIABLES)).toEqual([
      "job: set -x",
      'job: echo "$CI_REGISTRY_PASSWORD" | buildah login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"',
      'job: echo "key is $ARM_SIF_KEY_VALUE"',
      'job: skopeo copy --dest-creds "$HUB_LOGIN:$HUB_PASSPHRASE" a b',
      "job: printenv",
    ]);
  });
});
