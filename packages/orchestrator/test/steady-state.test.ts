import { execFile, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import {
  createArtifactZip,
  createS3Client,
  GITLAB_CI_LOCAL_BIN,
  type GitlabApiDouble,
  type OciRegistry,
  pushTestImage,
  REPO_ROOT,
  type S3Server,
  startGitlabApiDouble,
  startOciRegistry,
  startS3Server,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { aliasGitlabCiLocalArtifacts, FIXTURES, GIT_ENV, git } from "./helpers/e2e-repo.js";

/**
 * The pipeline we ship, end to end, four times: the repository's own `.gitlab-ci.yml` run by
 * gitlab-ci-local 4.73.0 (shell executor) in a copy of this repository whose site config points
 * at real services on loopback (s3rver for the build cache and the SIFs, Debian's
 * docker-registry as the GitLab registry, buildah for every build and push, the GitLab API
 * double for `gather`, the prune's `gather` and `remove SIFs of deleted branches`). Stand-ins,
 * on PATH, only for what cannot run here: `spack` and `apptainer` (see
 * __fixtures__/steady-state/bin), and `corepack` (the real one rewrites the machine's shared
 * Node.js install). Run 1 fills everything; run 2 on the same commit must do nothing; run 3
 * changes one definition; run 4 changes the builder image. Docker Hub is disabled in the site
 * config: the product reaches hub.docker.com and registry-1.docker.io, which no loopback double
 * can stand in for (the Docker Hub decision has its own test, plan-docker-hub.test.ts).
 * Where gitlab-ci-local differs from GitLab, the workaround is in this file with a comment.
 */

const execute = promisify(execFile);
const ARCH = "amd64";
const CACHE_BUCKET = "steady-cache";
const SIF_BUCKET = "steady-sifs";
const STANDINS = join(FIXTURES, "steady-state/bin");

let s3: S3Server;
let registry: OciRegistry;
let gitlab: GitlabApiDouble;
let work: string;
let root: string;
let calls: string;
let deployDir: string;
const tables: string[] = [];

/** Every tracked file of this repository except the definitions, images and files (test ones replace them). */
async function copyRepository(target: string): Promise<void> {
  const { stdout } = await execute("git", ["ls-files", "-z"], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
  for (const path of stdout.split("\0").filter(Boolean)) {
    if (/^(container_definitions|images|files)\//.test(path)) continue;
    await mkdir(dirname(join(target, path)), { recursive: true });
    await copyFile(join(REPO_ROOT, path), join(target, path));
  }
}

function siteConfig(spackRepository: string): string {
  const bucket = (name: string, extra = "") => `
      name: ${name}
      endpoint: ${s3.endpoint}${extra}
      credentials:
        access_key_var: S3_ACCESS_KEY
        secret_key_var: S3_SECRET_KEY`;
  return `registry:
  image_prefix: ${registry.host}/group/project
  label_prefix: org.example.spacktainers.
  tls_verify: false
architectures:
  ${ARCH}:
    runner_tags: [shell]
    spack_requirement: "target=x86_64"
    cache_bucket:${bucket(CACHE_BUCKET)}
      max_age_days: 90
    containers_bucket:${bucket(SIF_BUCKET, "\n      prefix: containers/")}
docker_hub:
  enabled: false
sif_deploy:
  runner_tags: [shell]
  directory: ${deployDir}
spack:
  repository: ${spackRepository}
  branch: main
  public_key_var: SPACK_DEPLOYMENT_KEY_PUBLIC
  template:
    spack:
      specs: []
      config:
        install_tree:
          root: /opt/software
      view: false
versions:
  apptainer: 1.3.4
`;
}

/** Tiny base images: busybox-static and, in the builder, a Spack that records and makes the trees. */
const IMAGES: Record<string, string> = {
  "images/builder/Dockerfile": `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV SPACK_ROOT=/opt/spack
COPY spack /opt/spack/bin/spack
COPY setup-env.sh /opt/spack/share/spack/setup-env.sh
RUN chmod +x /opt/spack/bin/spack
`,
  "images/builder/spack": `#!/bin/sh
echo "spack $*" >> /opt/spack-calls
case "$*" in
  *"env view enable"*) mkdir -p /opt/views/._view/abc && ln -s /opt/views/._view/abc /opt/views/view ;;
  *install*) mkdir -p /opt/software/linux-x86_64 && cp spack.lock /opt/software/linux-x86_64/installed.lock ;;
  *"env activate --sh"*) echo "export SPACK_ENV=/opt/spack-environment" ;;
esac
`,
  "images/builder/setup-env.sh": "export PATH=/opt/spack/bin:$PATH\n",
  "images/runtime/Dockerfile": `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
`,
  "images/singularitah/Dockerfile": `FROM scratch
COPY busybox /bin/busybox
`,
};

const DEFINITIONS: Record<string, string> = {
  "container_definitions/amd64/app.yaml": "spack:\n  specs:\n    - fixture-app+extra\n",
  "container_definitions/amd64/zlib.yaml": "spack:\n  specs:\n    - zlib@1.2.13\n",
};

async function writeFiles(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

async function commit(message: string): Promise<void> {
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "--no-gpg-sign", "-m", message);
  await git(root, "update-ref", "refs/remotes/origin/main", "HEAD");
}

/** The files under `dir` of the project, for the API double's artifact archives. */
async function zipOf(paths: string[]): Promise<Buffer> {
  const entries: Array<{ name: string; data: Buffer }> = [];
  const walk = async (path: string): Promise<void> => {
    const full = join(root, path);
    const items = await readdir(full, { withFileTypes: true }).catch(() => undefined);
    if (!items) {
      entries.push({ name: path, data: await readFile(full) });
      return;
    }
    for (const item of items) await walk(`${path}/${item.name}`);
  };
  for (const path of paths) await walk(path.replace(/\/$/, ""));
  return createArtifactZip(entries);
}

function gitlabCiLocal(): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(GITLAB_CI_LOCAL_BIN, ["--no-color", "--force-shell-executor"], {
      cwd: root,
      env: {
        ...GIT_ENV,
        HOME: join(work, "home"),
        PATH: `${STANDINS}:${process.env.PATH}`,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 840_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? 1, output });
    });
  });
}

type Plan = {
  name: string;
  arch: string;
  kind: string;
  decisions: Record<string, { action: string; reason: string }>;
};

/** A row of a run's table: a container (or base image) × arch decision. */
type Row = { name: string; arch: string; what: string; action: string; why: string };

/** One pipeline: its outcome, the container × arch decisions, and what it did. */
async function runPipeline(label: string) {
  const before = (await readFile(calls, "utf8").catch(() => "")).split("\n").filter(Boolean).length;
  // The `gather` job reads pipeline A through the GitLab API, which gitlab-ci-local has not:
  // the double answers for this pipeline id with the artifacts of pipeline A's jobs as they are
  // in the project dir when gather asks (gitlab-ci-local gives child pipelines the parent's id).
  const state = await readFile(join(root, ".gitlab-ci-local/state.yml"), "utf8").catch(() => "");
  const pipelineId = 1000 + Number(/pipelineIid: (\d+)/.exec(state)?.[1] ?? -1) + 1;
  const archives = new Map<string, Buffer>();
  const job = (id: number, name: string, paths: string[]) => ({
    id,
    name,
    get archive() {
      return archives.get(name) ?? Buffer.alloc(0);
    },
    paths,
  });
  const jobs = [
    job(11, `split spack pipeline for ${ARCH}`, [`out/split/${ARCH}/`]),
    job(12, `plan containers for ${ARCH}`, [`out/containers/${ARCH}/`]),
  ];
  gitlab.state.pipelines = [
    {
      id: pipelineId,
      bridges: [{ id: 1, name: "concretize and plan", downstreamPipelineId: pipelineId + 1 }],
    },
    { id: pipelineId + 1, jobs },
  ];
  // Archives are built when the plan job has written them (polled: the double's state is live).
  const poll = setInterval(async () => {
    for (const entry of jobs) archives.set(entry.name, await zipOf(entry.paths).catch(() => Buffer.alloc(0)));
  }, 500);
  // GitLab starts every pipeline from a fresh checkout; gitlab-ci-local's shell executor runs
  // in the project dir, so a pipeline would see (and this test would read) the last one's out/.
  await rm(join(root, "out"), { recursive: true, force: true });
  const result = await gitlabCiLocal().finally(() => clearInterval(poll));
  await writeFile(join(work, `${label.split(":")[0]!.replace(/\W+/g, "-")}.log`), result.output);
  if (result.code !== 0)
    console.log(`${label}: gitlab-ci-local exited ${result.code}\n${result.output.slice(-6000)}`);
  const recorded = (await readFile(calls, "utf8")).split("\n").filter(Boolean).slice(before);
  const plans = JSON.parse(await readFile(join(root, `out/containers/${ARCH}/plan.json`), "utf8")) as Plan[];
  // The base images' decisions, as the generate job prints them (all arches at once).
  const baseRows: Row[] = [...result.output.matchAll(/base image (\w+):\S+ — (\w+): (.*)$/gm)].map(
    (match) => ({
      name: match[1]!,
      arch: ARCH,
      what: "base image",
      action: match[2]!,
      why: match[3]!.trim(),
    }),
  );
  const rows: Row[] = [
    ...baseRows,
    ...plans.flatMap((plan) =>
      Object.entries(plan.decisions).map(([what, decision]) => ({
        name: plan.name,
        arch: plan.arch,
        what,
        action: decision.action,
        why: decision.reason,
      })),
    ),
  ];
  const cells = [
    ["CONTAINER", "ARCH", "WHAT", "ACTION", "WHY"],
    ...rows.map((row) => [row.name, row.arch, row.what, row.action, row.why]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const duration = /pipeline finished in (.*)$/m.exec(result.output)?.[1] ?? "?";
  const table = `${label} (pipeline finished in ${duration})\n${cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
  tables.push(table);
  console.log(table);
  // The jobs that ran, as gitlab-ci-local's summary lists them (`[parent] -> child` for children).
  const summary = (status: string) =>
    result.output
      .split("\n")
      .filter((line) => line.startsWith(` ${status}  `))
      .map((line) =>
        line
          .slice(status.length + 3)
          .trim()
          .replace(/^\[.*?\] -> /, ""),
      );
  return { ...result, rows, recorded, passed: summary("PASS"), failed: summary("FAIL") };
}

/** `name arch what` of the rows whose action is `build`. */
function built(rows: Row[]): string[] {
  return rows
    .filter((row) => row.action === "build")
    .map((row) => `${row.name} ${row.arch} ${row.what}`)
    .sort();
}

/** The recorded stand-in calls that do work: Spack rebuilds and SIF builds. */
function workDone(recorded: string[]): string[] {
  return recorded
    .map((line) => line.split("\t")[1]!)
    .filter((call) => /^(spack ci rebuild|apptainer build)/.test(call))
    .map((call) => call.replace(/ --nohttps| --force/g, ""))
    .sort();
}

/** Every tag of every repository of the registry, with its manifest digest. */
async function registryContents(): Promise<Record<string, string>> {
  const base = `http://${registry.host}/v2`;
  const { repositories } = (await (await fetch(`${base}/_catalog?n=1000`)).json()) as {
    repositories: string[];
  };
  const contents: Record<string, string> = {};
  for (const repository of repositories) {
    const { tags } = (await (await fetch(`${base}/${repository}/tags/list`)).json()) as {
      tags: string[] | null;
    };
    for (const tag of tags ?? []) {
      const answer = await fetch(`${base}/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
          accept:
            "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json",
        },
      });
      contents[`${repository}:${tag}`] = answer.headers.get("docker-content-digest") ?? "?";
    }
  }
  return contents;
}

/**
 * Every SIF of the bucket with its upload time, and every SIF of the site folder with its mtime
 * (the deploy job's `.<file>.metadata.json` records are checked on their own).
 */
async function sifContents(): Promise<{ bucket: Record<string, string>; site: Record<string, number> }> {
  const client = createS3Client(s3);
  const bucket: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: SIF_BUCKET, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) bucket[object.Key!] = object.LastModified!.toISOString();
    token = page.NextContinuationToken;
  } while (token);
  client.destroy();
  const site: Record<string, number> = {};
  for (const name of (await readdir(deployDir)).filter((file) => file.endsWith(".sif")).sort())
    site[name] = (await stat(join(deployDir, name))).mtimeMs;
  return { bucket, site };
}

/** The keys whose value differs between two snapshots (or is in one only). */
function changed<T>(before: Record<string, T>, after: Record<string, T>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => before[key] !== after[key])
    .sort();
}

const ALL_CONTAINERS = [
  "app amd64 image",
  "app amd64 sif",
  "tool amd64 sif",
  "zlib amd64 image",
  "zlib amd64 sif",
];
const BASE_IMAGES = ["builder amd64 base image", "runtime amd64 base image", "singularitah amd64 base image"];

// About 10 minutes on this 2-core machine under the load of other test runs (run 1 about 3.5
// minutes, runs 2–4 about 1.5–2 each; most of it is each job's `pnpm install` check).
describe("the shipped pipeline, four times", () => {
  let keep = false;
  let registryBefore: Record<string, string>;
  let sifsBefore: Awaited<ReturnType<typeof sifContents>>;
  beforeAll(async () => {
    [s3, registry] = await Promise.all([
      startS3Server({ buckets: [CACHE_BUCKET, SIF_BUCKET] }),
      startOciRegistry(),
    ]);
    gitlab = await startGitlabApiDouble({ projectId: "7", tokens: ["steady-token"], pipelines: [] });
    work = await mkdtemp(join(tmpdir(), "spacktainers-steady-"));
    root = join(work, "repo");
    deployDir = join(work, "site");
    calls = join(work, "calls.log");
    await mkdir(join(work, "home"), { recursive: true });
    await mkdir(deployDir);
    await writeFile(calls, "");
    // The Spack repository the builder records: a local git repository, as `git ls-remote` reads it.
    const spackRepository = join(work, "spack.git");
    await mkdir(spackRepository);
    await git(spackRepository, "init", "-q", "-b", "main");
    await git(spackRepository, "commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", "spack");
    await copyRepository(root);
    await writeFiles({
      "container_definitions/spacktainers.yaml": siteConfig(spackRepository),
      ...DEFINITIONS,
      ...IMAGES,
    });
    for (const name of ["builder", "runtime", "singularitah"])
      await copyFile("/usr/bin/busybox", join(root, "images", name, "busybox"));
    // The custom container's source, as a registry image.
    await pushTestImage({ registry: registry.host, repository: "library/tool", tag: "1.0" });
    await writeFiles({
      "container_definitions/amd64/tool.def": `Bootstrap: docker\nFrom: ${registry.host}/library/tool:1.0\n`,
    });
    await writeFile(join(work, "spack-public.key"), "test public key\n");
    // Project CI/CD variables (gitlab-ci-local reads them in every pipeline, children too).
    await writeFiles({
      ".gitlab-ci-local-variables.yml": `${Object.entries({
        CI_REGISTRY: registry.host,
        CI_REGISTRY_IMAGE: `${registry.host}/group/project`,
        CI_REGISTRY_USER: "ci-user",
        CI_REGISTRY_PASSWORD: "registry-password",
        CI_API_V4_URL: gitlab.url,
        CI_PROJECT_ID: "7",
        // gitlab-ci-local's shell executor runs in the project dir but reports the Docker
        // executor's /builds/<group>/<project>; GitLab's runners set the directory they run in.
        CI_PROJECT_DIR: root,
        GITLAB_API_TOKEN: "steady-token",
        S3_ACCESS_KEY: s3.accessKeyId,
        S3_SECRET_KEY: s3.secretAccessKey,
        SPACK_DEPLOYMENT_KEY_PUBLIC: join(work, "spack-public.key"),
        SPACK_ROOT: join(work, "spack-root"),
        STANDIN_LOG: calls,
        STANDIN_FIXTURES: FIXTURES,
        STANDIN_REQUIRE_FROM: join(REPO_ROOT, "packages/test-utils/package.json"),
        CONTAINERS_STORAGE_CONF: join(work, "storage.conf"),
        REGISTRY_AUTH_FILE: join(work, "auth.json"),
        // The machine's pnpm store (the job's own .pnpm-store would download everything again).
        npm_config_store_dir: (await execute("pnpm", ["store", "path"])).stdout.trim(),
      })
        // A plain value that is an existing path becomes a file variable (gitlab-ci-local copies
        // it, as GitLab does for file variables): paths meant as text say `type: variable`.
        .map(([key, value]) =>
          value.startsWith("/") && key !== "SPACK_DEPLOYMENT_KEY_PUBLIC"
            ? `${key}: { type: variable, values: { "*": ${JSON.stringify(value)} } }`
            : `${key}: ${JSON.stringify(value)}`,
        )
        .join("\n")}\n`,
      ".gitignore": ".gitlab-ci-local*\nnode_modules/\nout/\n",
    });
    await mkdir(join(work, "spack-root/share/spack"), { recursive: true });
    await writeFile(join(work, "spack-root/share/spack/setup-env.sh"), "");
    await writeFile(
      join(work, "storage.conf"),
      `[storage]\ndriver = "vfs"\ngraphroot = "${work}/storage/graph"\nrunroot = "${work}/storage/run"\n`,
    );
    await git(root, "init", "-q", "-b", "main");
    await git(root, "config", "user.name", "test");
    await git(root, "config", "user.email", "test@example.org");
    await git(root, "remote", "add", "origin", "https://gitlab.example.org/group/project.git");
    await commit("steady state");
    await git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
    await execute("pnpm", ["install", "--frozen-lockfile", "--offline"], { cwd: root });
    // gitlab-ci-local reads `trigger: include: artifact` under the raw job name (see the helper).
    // The split's collect job feeds the populate pipeline's own children (the Spack rebuilds).
    await aliasGitlabCiLocalArtifacts(root, ["generate", "gather", `collect child pipelines for ${ARCH}`]);
  }, 600_000);

  // A failed run keeps its repository, logs and recorded calls for a look (path printed).
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      keep = true;
    });
  });

  /** What changed in the registry, the SIF bucket and the site folder since the last call. */
  async function changesSinceLastRun() {
    const registryAfter = await registryContents();
    const sifsAfter = await sifContents();
    const changes = {
      pushed: changed(registryBefore, registryAfter),
      uploaded: changed(sifsBefore.bucket, sifsAfter.bucket),
      deployed: changed(sifsBefore.site, sifsAfter.site),
    };
    registryBefore = registryAfter;
    sifsBefore = sifsAfter;
    return changes;
  }

  afterAll(async () => {
    await gitlab?.stop();
    await registry?.stop();
    await s3?.stop();
    if (keep) console.log(`steady state: a run failed; its repository and logs are kept in ${work}`);
    else if (work) await rm(work, { recursive: true, force: true });
  });

  test("run 1, empty cache and registry: everything is built, pushed, converted and uploaded", async () => {
    const run = await runPipeline("run 1: empty cache and registry");
    expect(run.failed).toEqual([]);
    expect(run.code).toBe(0);
    expect(built(run.rows)).toEqual([...ALL_CONTAINERS, ...BASE_IMAGES].sort());
    // Spack rebuilt every spec of the lock that is not external, and every container became a SIF.
    expect(workDone(run.recorded)).toEqual([
      `apptainer build app__2.0.sif docker://${registry.host}/group/project/app:2.0`,
      "apptainer build tool__1.0__amd64.sif out/containers/amd64/tool/tool.def",
      `apptainer build zlib__1.2.13.sif docker://${registry.host}/group/project/zlib:1.2.13`,
      "spack ci rebuild 4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
      "spack ci rebuild 6aiy7iplw5jknw77vopd6nwuexerylxq",
      "spack ci rebuild i5frtbpwrwgkdxxet6b7yst27zpo72rn",
      "spack ci rebuild mgowe23us2ms6sm5pk343rbrny3quz7g",
      "spack ci rebuild t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
    ]);
    registryBefore = await registryContents();
    const repositories = [...new Set(Object.keys(registryBefore).map((key) => key.split(":")[0]))].sort();
    expect(repositories).toEqual([
      "group/project/app",
      "group/project/builder",
      "group/project/runtime",
      "group/project/singularitah",
      "group/project/zlib",
      "library/tool",
    ]);
    sifsBefore = await sifContents();
    expect(Object.keys(sifsBefore.bucket)).toEqual([
      "containers/app__2.0.sif",
      "containers/tool__1.0__amd64.sif",
      "containers/zlib__1.2.13.sif",
    ]);
    expect(Object.keys(sifsBefore.site)).toEqual(Object.keys(sifsBefore.bucket).map((key) => key.slice(11)));
    // Beside each site copy, the record of the object it copies (what the site sync compares).
    expect((await readdir(deployDir)).filter((file) => !file.endsWith(".sif")).sort()).toEqual(
      Object.keys(sifsBefore.site).map((file) => `.${file}.metadata.json`),
    );
  }, 900_000);

  test("run 2, same commit: nothing is built, pushed or uploaded, and every decision says why", async () => {
    const run = await runPipeline("run 2: same commit");
    expect(run.failed).toEqual([]);
    expect(run.code).toBe(0);
    expect(built(run.rows)).toEqual([]);
    expect(run.rows.map((row) => `${row.name} ${row.arch} ${row.what}`).sort()).toEqual(
      [...ALL_CONTAINERS, ...BASE_IMAGES].sort(),
    );
    for (const row of run.rows) expect(row.why).not.toBe("");
    // No rebuild job (Spack found every spec in the cache) and no SIF build.
    expect(workDone(run.recorded)).toEqual([]);
    expect(await changesSinceLastRun()).toEqual({ pushed: [], uploaded: [], deployed: [] });
    // Docker Hub is disabled in this site config (its API and registry hosts are fixed in the
    // product, so the plan job could not reach a loopback double): nothing can be pushed there.
  }, 900_000);

  test("run 3, one definition changed: exactly that container is rebuilt and re-uploaded", async () => {
    await writeFiles({
      "container_definitions/amd64/zlib.yaml":
        "spack:\n  specs:\n    - zlib@1.2.13\n  concretizer:\n    unify: true\n",
    });
    await commit("zlib: unify");
    const run = await runPipeline("run 3: zlib.yaml changed");
    expect(run.failed).toEqual([]);
    expect(run.code).toBe(0);
    expect(built(run.rows)).toEqual(["zlib amd64 image", "zlib amd64 sif"]);
    expect(workDone(run.recorded)).toEqual([
      `apptainer build zlib__1.2.13.sif docker://${registry.host}/group/project/zlib:1.2.13`,
    ]);
    const { pushed, uploaded, deployed } = await changesSinceLastRun();
    expect(pushed).toContain("group/project/zlib:1.2.13");
    expect(pushed.filter((key) => !key.startsWith("group/project/zlib:"))).toEqual([]);
    expect(uploaded).toEqual(["containers/zlib__1.2.13.sif"]);
    expect(deployed).toEqual(["zlib__1.2.13.sif"]);
  }, 900_000);

  test("run 4, images/builder/ changed: the builder and every Spack container of the arch rebuild", async () => {
    await writeFiles({
      "images/builder/Dockerfile": `${IMAGES["images/builder/Dockerfile"]}ENV STEADY_STATE_RUN=4\n`,
    });
    await commit("builder: one more layer");
    const run = await runPipeline("run 4: images/builder/ changed");
    expect(run.failed).toEqual([]);
    expect(run.code).toBe(0);
    expect(built(run.rows)).toEqual([
      "app amd64 image",
      "app amd64 sif",
      "builder amd64 base image",
      "zlib amd64 image",
      "zlib amd64 sif",
    ]);
    expect(workDone(run.recorded)).toEqual([
      `apptainer build app__2.0.sif docker://${registry.host}/group/project/app:2.0`,
      `apptainer build zlib__1.2.13.sif docker://${registry.host}/group/project/zlib:1.2.13`,
    ]);
    const { pushed, uploaded, deployed } = await changesSinceLastRun();
    expect(pushed).toEqual(expect.arrayContaining(["group/project/app:2.0", "group/project/zlib:1.2.13"]));
    expect(pushed.filter((key) => !/^group\/project\/(app|zlib|builder):/.test(key))).toEqual([]);
    expect(uploaded).toEqual(["containers/app__2.0.sif", "containers/zlib__1.2.13.sif"]);
    expect(deployed).toEqual(["app__2.0.sif", "zlib__1.2.13.sif"]);
    // The four tables, for a report: SPACKTAINERS_STEADY_STATE_TABLES=<file>.
    const tablesFile = process.env.SPACKTAINERS_STEADY_STATE_TABLES;
    if (tablesFile) await writeFile(tablesFile, tables.join("\n"));
  }, 900_000);
});
