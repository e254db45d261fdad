import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gitlabCiFailures, runBin, validateGitlabCi } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  CONCRETIZED,
  createFixtureRepo,
  FIXTURES,
  readTree,
  simulateConcretize,
} from "./helpers/e2e-repo.js";

/**
 * The whole flow on a repository with the four definition forms, through the real bin:
 * generate → (concretize, simulated with real Spack 1.0.2 locks and `spack ci generate`
 * outputs) → split → containers, and the parent pipeline; every emitted YAML checked by
 * gitlab-ci-local 4.73.0 and the hand-offs between them checked path by path.
 */

const NOW = "2026-01-31T12:00:00Z";
const PIPELINE_A_ID = "4242";
/** Sentinels in every credential variable the site config names (and the registry's). */
const SECRETS: Record<string, string> = {
  CACHE_AWS_ACCESS_KEY_ID: "SENTINEL-cache-access-7d1f",
  CACHE_AWS_SECRET_ACCESS_KEY: "SENTINEL-cache-secret-93ab",
  SIF_AWS_ACCESS_KEY_ID: "SENTINEL-sif-access-22c4",
  SIF_AWS_SECRET_ACCESS_KEY: "SENTINEL-sif-secret-5e60",
  SPACK_DEPLOYMENT_KEY_PUBLIC: "SENTINEL-gpg-public-0b9e",
  SPACK_DEPLOYMENT_KEY_PRIVATE: "SENTINEL-gpg-private-a4f7",
  CI_REGISTRY_PASSWORD: "SENTINEL-registry-password-61d2",
  GITLAB_API_TOKEN: "SENTINEL-api-token-c0de",
};

type Job = Record<string, unknown> & {
  needs?: Array<string | { job: string; pipeline?: string; artifacts?: boolean }>;
  artifacts?: { paths?: string[] };
  trigger?: { include: Array<{ artifact: string; job: string }>; strategy?: string };
  script?: string[];
  image?: unknown;
  stage?: string;
};
type Pipeline = Record<string, Job>;

let root: string;
let remove: () => Promise<void>;
const runs: Array<{ step: string; code: number; stdout: string; stderr: string }> = [];
let firstGenerate: Record<string, string>;
let secondGenerate: Record<string, string>;
let tree: Record<string, string>;
let parentText: string;

async function spacktainers(step: string, args: string[], env: Record<string, string> = {}) {
  const result = await runBin("orchestrator", [...args, "--root", root], {
    cwd: root,
    cleanEnv: true,
    env: { ...SECRETS, ...env },
  });
  runs.push({ step, ...result });
  if (result.code !== 0) throw new Error(`${step} exited ${result.code}: ${result.stderr}`);
  return result;
}

function pipelineOf(path: string): Pipeline {
  return parse(tree[path]!, { maxAliasCount: -1 }) as Pipeline;
}

function jobsOf(pipeline: Pipeline): Record<string, Job> {
  const { stages: _s, variables: _v, workflow: _w, default: _d, ...jobs } = pipeline;
  return jobs;
}

function needNames(job: Job): string[] {
  return (job.needs ?? []).map((need) => (typeof need === "string" ? need : need.job));
}

/** True when `path` is under one of the artifact `paths` of a job (GitLab: folder paths end in /). */
function covered(paths: string[] | undefined, path: string): boolean {
  return (paths ?? []).some((p) => {
    // GitLab artifact paths: a folder (trailing /), a file, or a glob where * stays in one folder.
    if (p.includes("*"))
      return new RegExp(
        `^${p
          .split("*")
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*")}$`,
      ).test(path);
    return p.endsWith("/") ? path.startsWith(p) : path === p || path.startsWith(`${p}/`);
  });
}

beforeAll(async () => {
  ({ root, remove } = await createFixtureRepo());
  await spacktainers("generate", ["generate", "--out", "out", "--now", NOW]);
  firstGenerate = await readTree(join(root, "out"));
  await spacktainers("generate again", ["generate", "--out", "out", "--now", NOW]);
  secondGenerate = await readTree(join(root, "out"));
  await simulateConcretize(root);
  for (const arch of ["amd64", "arm64"]) {
    await spacktainers(`split ${arch}`, ["split", "--arch", arch], { CI_PIPELINE_ID: PIPELINE_A_ID });
    await spacktainers(`containers ${arch}`, ["containers", "--arch", arch, "--now", NOW], {
      CI_PIPELINE_ID: PIPELINE_A_ID,
    });
  }
  parentText = (await spacktainers("parent-pipeline", ["parent-pipeline"])).stdout;
  tree = await readTree(root, ["images"]);
}, 180_000);

afterAll(async () => {
  await remove?.();
});

describe("generate → split → containers on real Spack outputs", () => {
  it("writes the same bytes twice and says it ran offline", () => {
    expect(Object.keys(firstGenerate)).toEqual([
      // Marks out/ as ours: the next generate replaces it whole.
      ".spacktainers-output",
      "environments/amd64/fixture-app/spack.yaml",
      "environments/amd64/zlib-tools/spack.yaml",
      "environments/arm64/compress/spack.yaml",
      "gather.json",
      "pipeline.yml",
    ]);
    expect(secondGenerate).toEqual(firstGenerate);
    const generate = runs.find((run) => run.step === "generate")!;
    expect(generate.stdout).toBe("");
    expect(generate.stderr).toContain(
      "spacktainers: 4 containers (amd64: 3, arm64: 1), 16 jobs in pipeline A, branch feature/e2e\n",
    );
    expect(generate.stderr).toContain("offline: registry and S3 checks were skipped");
  });

  it("never writes or prints a credential value", () => {
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const [path, text] of Object.entries(tree))
        if (text.includes(value)) leaks.push(`${name} in ${path}`);
      for (const run of runs)
        if (run.stdout.includes(value) || run.stderr.includes(value)) leaks.push(`${name} in ${run.step}`);
      if (parentText.includes(value)) leaks.push(`${name} in .gitlab-ci.yml`);
    }
    expect(leaks).toEqual([]);
    // Credentials are referenced by name instead.
    expect(tree["out/split/amd64/chunks/stage-0.yml"]).toContain(
      "AWS_SECRET_ACCESS_KEY: $CACHE_AWS_SECRET_ACCESS_KEY",
    );
  });

  it("pipeline A concretizes each Spack container once per arch, and its artifacts hold what split and containers read", () => {
    const a = jobsOf(pipelineOf("out/pipeline.yml"));
    const concretize = Object.keys(a).filter((name) => name.startsWith("concretize "));
    expect(concretize.sort()).toEqual([
      "concretize compress for arm64",
      "concretize fixture-app for amd64",
      "concretize zlib-tools for amd64",
    ]);
    for (const { arch, name } of CONCRETIZED) {
      const job = a[`concretize ${name} for ${arch}`]!;
      expect(job.needs?.[0]).toEqual({ pipeline: "$PARENT_PIPELINE_ID", job: "generate" });
      // Every file the plan and split jobs read from this job is in its artifacts.
      for (const path of [
        `out/environments/${arch}/${name}/spack.yaml`,
        `out/environments/${arch}/${name}/spack.lock`,
        `out/jobs_scratch_dir.${arch}/${name}/pipeline.yml`,
        `out/jobs_scratch_dir.${arch}/${name}/concrete_environment/spack.lock`,
      ])
        expect({ path, covered: covered(job.artifacts?.paths, path) }).toEqual({ path, covered: true });
    }
    for (const arch of ["amd64", "arm64"]) {
      const spack = CONCRETIZED.filter((c) => c.arch === arch).map((c) => `concretize ${c.name} for ${arch}`);
      expect(needNames(a[`split spack pipeline for ${arch}`]!)).toEqual(["generate", ...spack]);
      expect(needNames(a[`plan containers for ${arch}`]!)).toEqual(["generate", ...spack]);
      // What the split and plan jobs write is in their artifacts, which gather fetches.
      for (const path of Object.keys(tree).filter((p) => p.startsWith(`out/split/${arch}/`)))
        expect(covered(a[`split spack pipeline for ${arch}`]!.artifacts?.paths, path)).toBe(true);
      for (const path of Object.keys(tree).filter((p) => p.startsWith(`out/containers/${arch}/`)))
        expect(covered(a[`plan containers for ${arch}`]!.artifacts?.paths, path)).toBe(true);
    }
  });

  it("gather.json, the parent's gather artifacts and its triggers name the files split and containers wrote", () => {
    const manifest = JSON.parse(tree["out/gather.json"]!) as {
      bridge: string;
      jobs: Array<{ job: string; paths: string[] }>;
    };
    const parent = jobsOf(parse(parentText) as Pipeline);
    expect(parent[manifest.bridge]?.trigger?.include).toEqual([
      { artifact: "out/pipeline.yml", job: "generate" },
    ]);
    const a = jobsOf(pipelineOf("out/pipeline.yml"));
    for (const { job, paths } of manifest.jobs) expect(a[job]?.artifacts?.paths).toEqual(paths);
    for (const arch of ["amd64", "arm64"]) {
      for (const [trigger, file] of [
        [`populate build cache for ${arch}`, `out/split/${arch}/pipeline.yml`],
        [`build containers for ${arch}`, `out/containers/${arch}/pipeline.yml`],
      ] as const) {
        expect(parent[trigger]?.trigger).toEqual({
          include: [{ artifact: file, job: "gather" }],
          strategy: "depend",
        });
        expect(tree[file]).toBeDefined();
        expect(covered(parent.gather?.artifacts?.paths, file)).toBe(true);
        expect(manifest.jobs.some((entry) => covered(entry.paths, file))).toBe(true);
      }
    }
    // The archive a trigger includes from must stay small (GitLab: 5 MB): YAML files only.
    const gathered = Object.keys(tree).filter(
      (path) => /^out\/(split|containers)\//.test(path) && covered(parent.gather?.artifacts?.paths, path),
    );
    expect(gathered.length).toBeGreaterThan(2);
    expect(gathered.filter((path) => !path.endsWith(".yml"))).toEqual([]);
  });

  it("split keeps every Spack build job once, needs the right concretize job of pipeline A", () => {
    // Spack's build jobs of both amd64 containers, read independently of the splitter.
    const spackJobs = new Set<string>();
    for (const { name } of CONCRETIZED.filter((c) => c.arch === "amd64")) {
      const data = parse(tree[`out/jobs_scratch_dir.amd64/${name}/pipeline.yml`]!, {
        maxAliasCount: -1,
      }) as Pipeline;
      for (const [job, body] of Object.entries(data))
        if (typeof body === "object" && body !== null && "script" in body && job !== "rebuild-index")
          spackJobs.add(job);
    }
    const trigger = jobsOf(pipelineOf("out/split/amd64/pipeline.yml"));
    const chunkFiles = Object.keys(tree).filter((p) => p.startsWith("out/split/amd64/chunks/"));
    expect(chunkFiles).toEqual(["out/split/amd64/chunks/stage-0.yml", "out/split/amd64/chunks/stage-1.yml"]);
    expect(trigger["collect child pipelines for amd64"]?.artifacts?.paths).toEqual(chunkFiles);
    expect(trigger["collect child pipelines for amd64"]?.needs).toEqual([
      { job: "split spack pipeline for amd64", pipeline: PIPELINE_A_ID, artifacts: true },
    ]);
    const built: string[] = [];
    const a = jobsOf(pipelineOf("out/pipeline.yml"));
    for (const file of chunkFiles) {
      for (const [name, job] of Object.entries(jobsOf(pipelineOf(file)))) {
        built.push(name);
        for (const need of job.needs ?? []) {
          if (typeof need === "string" || need.pipeline === undefined) continue;
          // Cross-pipeline needs point at a concretize job of pipeline A, by its id.
          expect(need.pipeline).toBe(PIPELINE_A_ID);
          expect(Object.keys(a)).toContain(need.job);
        }
      }
    }
    expect(built.sort()).toEqual([...spackJobs].sort());
    // arm64's only container has everything built already: the no-op pipeline.
    expect(Object.keys(jobsOf(pipelineOf("out/split/arm64/pipeline.yml")))).toEqual([
      "nothing to rebuild for arm64",
    ]);
  });

  it("containers plans every container with its tag, Dockerfile, pinned environment and lock", async () => {
    const plans = ["amd64", "arm64"].flatMap(
      (arch) =>
        JSON.parse(tree[`out/containers/${arch}/plan.json`]!) as Array<{
          name: string;
          kind: string;
          tag: string;
        }>,
    );
    expect(plans.map(({ name, kind, tag }) => ({ name, kind, tag }))).toEqual([
      { name: "fixture-app", kind: "spack", tag: "2.0__feature-e2e" },
      { name: "storage", kind: "custom", tag: "2.1.0__feature-e2e__amd64" },
      { name: "zlib-tools", kind: "spack", tag: "1.2.13__feature-e2e" },
      { name: "compress", kind: "spack", tag: "1.0.8__feature-e2e-arm64" },
    ]);
    for (const { arch, name, lock } of CONCRETIZED) {
      expect(tree[`out/containers/${arch}/${name}/spack.lock`]).toBe(
        await readFile(join(FIXTURES, lock), "utf8"),
      );
      expect(tree[`out/containers/${arch}/${name}/spack.yaml`]).toBe(
        tree[`out/environments/${arch}/${name}/spack.yaml`],
      );
    }
    const dockerfile = tree["out/containers/amd64/zlib-tools/Dockerfile"]!;
    expect(dockerfile).toContain("RUN /opt/zlib-tools/check.sh\n");
    expect(dockerfile).toContain("/opt/zlib-tools/check.sh");
    expect(tree["out/containers/amd64/storage/storage.def"]).toBe(
      await readFile(join(FIXTURES, "repo/container_definitions/amd64/storage.def"), "utf8"),
    );
    for (const arch of ["amd64", "arm64"]) {
      for (const [name, job] of Object.entries(jobsOf(pipelineOf(`out/containers/${arch}/pipeline.yml`)))) {
        for (const need of job.needs ?? []) {
          if (typeof need === "string" || need.pipeline === undefined) continue;
          expect({ name, need }).toEqual({
            name,
            need: {
              pipeline: PIPELINE_A_ID,
              job: `plan containers for ${arch}`,
              ...(need.artifacts === undefined ? {} : { artifacts: need.artifacts }),
            },
          });
        }
      }
    }
  });

  it("every emitted pipeline passes gitlab-ci-local 4.73.0 (schema and needs)", async () => {
    const entries = [
      ".gitlab-ci.yml",
      "out/pipeline.yml",
      ...Object.keys(tree).filter(
        (p) => /^out\/(split|containers)\/.*\.yml$/.test(p) && !p.includes("/jobs_scratch_dir"),
      ),
    ].filter((p) => !/\/(fixture-app|zlib-tools|compress|storage)\//.test(p));
    expect(entries).toEqual([
      ".gitlab-ci.yml",
      "out/pipeline.yml",
      "out/containers/amd64/pipeline.yml",
      "out/containers/arm64/pipeline.yml",
      "out/split/amd64/chunks/stage-0.yml",
      "out/split/amd64/chunks/stage-1.yml",
      "out/split/amd64/pipeline.yml",
      "out/split/arm64/pipeline.yml",
    ]);
    const files: Record<string, string> = { ".gitlab-ci.yml": parentText };
    for (const [path, text] of Object.entries(tree))
      if (path.startsWith("container_definitions/") || entries.includes(path)) files[path] = text;
    const results = await validateGitlabCi({ files, entries, concurrency: 2, timeoutMs: 120_000 });
    expect(gitlabCiFailures(results)).toEqual([]);
    // Base-image tags are checksums of images/ and of the config: checked elsewhere, masked here.
    const listed = Object.fromEntries(
      results.map((r) => [
        r.file,
        r.jobs.map((job) => job.name.replace(/^(publish \w+):[0-9a-f]{12}$/, "$1:<tag>")),
      ]),
    );
    expect(listed).toMatchInlineSnapshot(`
      {
        ".gitlab-ci.yml": [
          "lint, typecheck and test the tool",
          "validate and plan",
          "generate",
          "concretize and plan",
          "gather",
          "populate build cache for amd64",
          "populate build cache for arm64",
          "build containers for amd64",
          "build containers for arm64",
          "prune build cache for amd64",
          "prune build cache for arm64",
          "remove SIFs of deleted branches",
          "release npm packages",
        ],
        "out/containers/amd64/pipeline.yml": [
          "build fixture-app for amd64",
          "build zlib-tools for amd64",
          "publish fixture-app:2.0__feature-e2e",
          "publish zlib-tools:1.2.13__feature-e2e",
          "convert fixture-app to sif for amd64",
          "convert storage to sif for amd64",
          "convert zlib-tools to sif for amd64",
        ],
        "out/containers/arm64/pipeline.yml": [
          "build compress for arm64",
          "publish compress:1.0.8__feature-e2e-arm64",
          "convert compress to sif for arm64",
        ],
        "out/pipeline.yml": [
          "build builder for amd64",
          "build builder for arm64",
          "build runtime for amd64",
          "build runtime for arm64",
          "build singularitah for amd64",
          "build singularitah for arm64",
          "publish builder:<tag>",
          "publish runtime:<tag>",
          "publish singularitah:<tag>",
          "concretize compress for arm64",
          "concretize fixture-app for amd64",
          "concretize zlib-tools for amd64",
          "plan containers for amd64",
          "plan containers for arm64",
          "split spack pipeline for amd64",
          "split spack pipeline for arm64",
        ],
        "out/split/amd64/chunks/stage-0.yml": [
          "compiler-wrapper@1.0 /4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
          "fixture-hello@1.0 /i5frtbpwrwgkdxxet6b7yst27zpo72rn",
          "gcc-runtime@12.2.0 /t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
        ],
        "out/split/amd64/chunks/stage-1.yml": [
          "fixture-app@2.0 /6aiy7iplw5jknw77vopd6nwuexerylxq",
          "zlib@1.2.13 /mgowe23us2ms6sm5pk343rbrny3quz7g",
        ],
        "out/split/amd64/pipeline.yml": [
          "collect child pipelines for amd64",
          "build stage-0 for amd64",
          "build stage-1 for amd64",
          "rebuild-index",
        ],
        "out/split/arm64/pipeline.yml": [
          "nothing to rebuild for arm64",
        ],
      }
    `);
  }, 180_000);
});
