import { join } from "node:path";
import { type GitlabPipeline, renderPipelineYaml } from "@spacktainers/core";
import { gitlabCiFailures, useTempDir, validateGitlabCi } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readSpackPipelines, splitPipelines, splitSpackPipeline } from "../src/index.js";
import { architecture, checkSplit, inputTree, spackFixture } from "./helpers.js";

async function split(containers: Record<string, string>) {
  const root = await useTempDir(inputTree(containers));
  const settings = {
    arch: "amd64",
    architecture: architecture(),
    outputPath: "split.amd64",
    pipelineId: "4242",
  };
  const inputDir = join(root, "jobs_scratch_dir.amd64");
  const result = await splitSpackPipeline({ ...settings, inputDir });
  // The pure transform on the files read up front gives the same result as the bin's path,
  // which merges each file as it is read.
  const read = await readSpackPipelines({ inputDir });
  expect(splitPipelines({ ...settings, pipelines: read.value! })).toEqual(result);
  return result;
}

/** Job names gitlab-ci-local lists for each file, or its error. */
async function gitlabCiLocal(files: Record<string, string>) {
  const results = await validateGitlabCi({ files });
  expect(gitlabCiFailures(results)).toEqual([]);
  return Object.fromEntries(results.map((result) => [result.file, result.jobs.map((job) => job.name)]));
}

/** Our files are exactly what core's renderPipelineYaml writes for the same pipeline. */
function expectRenderedByCore(files: Record<string, string>) {
  for (const text of Object.values(files)) {
    const { stages, variables, default: defaults, ...jobs } = parse(text) as Record<string, unknown>;
    const pipeline = {
      stages,
      jobs,
      ...(variables ? { variables } : {}),
      ...(defaults ? { default: defaults } : {}),
    } as GitlabPipeline;
    expect(renderPipelineYaml(pipeline)).toBe(text);
  }
}

/**
 * Each build job of the chunk files as GitLab runs it: the file's `default:` under the job's own
 * keywords (a job's value replaces the default's, https://docs.gitlab.com/ci/yaml/#default).
 */
function effectiveJobs(files: Record<string, string>): Record<string, Record<string, unknown>> {
  const jobs: Record<string, Record<string, unknown>> = {};
  for (const [path, text] of Object.entries(files)) {
    if (!path.startsWith("chunks/")) continue;
    const {
      stages,
      variables,
      default: defaults,
      ...own
    } = parse(text) as Record<string, Record<string, unknown>>;
    for (const [name, job] of Object.entries(own)) jobs[name] = { ...defaults, ...job };
  }
  return jobs;
}

describe.each(["0.19.0", "0.23.1", "1.0.2"])(
  "Spack %s: empty, partial and all-built mirrors as three containers",
  (version) => {
    it("keeps one job per spec in its earliest stage, and gitlab-ci-local accepts every file", async () => {
      const inputs = {
        "c-empty": spackFixture(version, "empty-mirror"),
        "b-partial": spackFixture(version, "partial"),
        "a-built": spackFixture(version, "all-built"),
      };
      const { files, summary, warnings } = await split(inputs);
      expect(warnings).toEqual([]);
      expect(checkSplit(files, Object.values(inputs))).toEqual([]);
      expectRenderedByCore(files);
      // What every job shares is written once, in `default:`, and every job still runs with
      // the arch's runner tags, interruptible, a timeout, the infrastructure retry and an image.
      const jobs = effectiveJobs(files);
      expect(Object.keys(jobs)).toHaveLength(summary.uniqueJobs);
      for (const job of Object.values(jobs)) {
        expect(job).toMatchObject({
          tags: ["kubernetes", "amd64"],
          interruptible: true,
          timeout: "4h",
          retry: { max: 2, when: expect.not.arrayContaining(["script_failure"]) },
          image: { name: expect.stringMatching(/^ghcr\.io\/example\/spack-/), pull_policy: "always" },
          script: expect.arrayContaining([expect.stringMatching(/^spack (-d )?ci rebuild$/)]),
        });
      }
      for (const text of Object.values(files).slice(1)) expect(text).toMatch(/^default:\n/m);
      const listed = await gitlabCiLocal(files);
      const stageNames = Object.keys(files).filter((path) => path.startsWith("chunks/"));
      expect(Object.keys(listed)).toEqual(["pipeline.yml", ...stageNames]);
      expect(listed["pipeline.yml"]).toEqual([
        "collect child pipelines for amd64",
        ...stageNames.map((path) => `build ${path.slice(7, -4)} for amd64`),
        "rebuild-index",
      ]);
      const expected = {
        "0.19.0": { jobsRead: 6, uniqueJobs: 4, stages: 2 },
        "0.23.1": { jobsRead: 6, uniqueJobs: 4, stages: 3 },
        "1.0.2": { jobsRead: 8, uniqueJobs: 5, stages: 2 },
      }[version]!;
      expect({ ...summary, files: undefined, largestFile: undefined }).toEqual({
        arch: "amd64",
        containers: 3,
        containersWithJobs: 2,
        ...expected,
        chunks: expected.stages,
        files: undefined,
        largestFile: undefined,
      });
    });
  },
);

describe("Spack 0.19.0 multi-arch environment (19 jobs in 8 stages)", () => {
  it("splits into one child per stage that gitlab-ci-local accepts", async () => {
    const input = spackFixture("0.19.0", "multiarch-empty");
    const { files, summary } = await split({ hdf5: input });
    expect(checkSplit(files, [input])).toEqual([]);
    expectRenderedByCore(files);
    const listed = await gitlabCiLocal(files);
    expect(Object.values(listed).map((jobs) => jobs.length)).toEqual([10, 7, 3, 3, 2, 1, 1, 1, 1]);
    expect(summary.uniqueJobs).toBe(19);
    expect(summary.chunks).toBe(8);
  }, 120_000); // one gitlab-ci-local run per child file: slow on a busy 2-core machine
});

describe("a build job", () => {
  it("gets runner tags, infrastructure retry and timeout from default:, credentials as $VAR, pull policy and its concrete environment", async () => {
    const { files } = await split({ app: spackFixture("0.19.0", "partial") });
    expect(files["chunks/stage-1.yml"]).toMatchInlineSnapshot(`
      "stages:
        - stage-1

      variables:
        AWS_ACCESS_KEY_ID: $CACHE_ACCESS_KEY_ID
        AWS_SECRET_ACCESS_KEY: $CACHE_SECRET_ACCESS_KEY
        KUBERNETES_CPU_REQUEST: "4"
        KUBERNETES_MEMORY_REQUEST: 8Gi
        S3_ENDPOINT_URL: https://s3.example.org
        SPACK_ARTIFACTS_ROOT: jobs_scratch_dir.amd64/app
        SPACK_CHECKOUT_VERSION: 0.19.0 (a86911246a8c5571ca210ff25fc990b8eb297a5c)
        SPACK_CI_STACK_NAME: None
        SPACK_COMPILER_ACTION: NONE
        SPACK_CONCRETE_ENV_DIR: jobs_scratch_dir.amd64/app/concrete_environment
        SPACK_JOB_LOG_DIR: jobs_scratch_dir.amd64/app/logs
        SPACK_JOB_REPRO_DIR: jobs_scratch_dir.amd64/app/reproduction
        SPACK_JOB_TEST_DIR: jobs_scratch_dir.amd64/app/tests
        SPACK_LOCAL_MIRROR_DIR: /builds/spack-work/ciproj
        SPACK_PIPELINE_TYPE: None
        SPACK_REBUILD_CHECK_UP_TO_DATE: "True"
        SPACK_REBUILD_EVERYTHING: "False"
        SPACK_REMOTE_MIRROR_URL: file:///builds/spack-work/buildcache-v0.19
        SPACK_SPEC_NEEDS_REBUILD: "True"
        SPACK_VERSION: 0.19.0 (a86911246a8c5571ca210ff25fc990b8eb297a5c)

      default:
        tags:
          - kubernetes
          - amd64
        interruptible: true
        timeout: 4h
        retry:
          max: 2
          when:
            - api_failure
            - data_integrity_failure
            - runner_system_failure
            - scheduler_failure
            - stuck_or_timeout_failure
            - unknown_failure
        artifacts:
          paths:
            - jobs_scratch_dir.amd64/app/logs
            - jobs_scratch_dir.amd64/app/reproduction
            - jobs_scratch_dir.amd64/app/tests
            - jobs_scratch_dir.amd64/app/user_data
          when: always

      (specs) fixture-app/kbvflog 2.0 gcc@12.2.0 linux-debian12-x86_64:
        stage: stage-1
        image:
          name: ghcr.io/example/spack-runner-debian12:latest
          entrypoint:
            - ""
          pull_policy: always
        needs:
          - job: concretize app for amd64
            pipeline: "4242"
            artifacts: true
        variables:
          SPACK_JOB_SPEC_DAG_HASH: kbvflog4oalvbnij4rgyqgbhmwzs3wtb
          SPACK_JOB_SPEC_PKG_NAME: fixture-app
        script:
          - . "./share/spack/setup-env.sh"
          - spack --version
          - cd \${SPACK_CONCRETE_ENV_DIR}
          - spack env activate --without-view .
          - spack -d ci rebuild
      "
    `);
  });
});

describe("nothing to rebuild", () => {
  it("writes a valid pipeline with one no-op job", async () => {
    const { files, summary } = await split({
      a: spackFixture("0.19.0", "all-built"),
      b: spackFixture("1.0.2", "all-built"),
    });
    expect(Object.keys(files)).toEqual(["pipeline.yml"]);
    expect(files["pipeline.yml"]).toMatchInlineSnapshot(`
      "stages:
        - build

      nothing to rebuild for amd64:
        stage: build
        tags:
          - kubernetes
          - amd64
        variables:
          KUBERNETES_CPU_REQUEST: "4"
          KUBERNETES_MEMORY_REQUEST: 8Gi
        interruptible: true
        timeout: 10m
        retry:
          max: 2
          when:
            - api_failure
            - data_integrity_failure
            - runner_system_failure
            - scheduler_failure
            - stuck_or_timeout_failure
            - unknown_failure
        script:
          - echo "Every spec of amd64 is in the build cache already; nothing to rebuild."
      "
    `);
    expect(await gitlabCiLocal(files)).toEqual({ "pipeline.yml": ["nothing to rebuild for amd64"] });
    expect(summary.chunks).toBe(0);
  });
});

describe("the trigger pipeline", () => {
  it("collects only the child YAML, triggers stage after stage with strategy: depend, rebuild-index last", async () => {
    const { files } = await split({ app: spackFixture("0.19.0", "partial") });
    expect(files["pipeline.yml"]).toMatchInlineSnapshot(`
      "stages:
        - collect
        - stage-0
        - stage-1
        - rebuild-index

      collect child pipelines for amd64:
        stage: collect
        tags:
          - kubernetes
          - amd64
        needs:
          - job: split spack pipeline for amd64
            pipeline: "4242"
            artifacts: true
        variables:
          KUBERNETES_CPU_REQUEST: "4"
          KUBERNETES_MEMORY_REQUEST: 8Gi
        interruptible: true
        timeout: 10m
        retry:
          max: 2
          when:
            - api_failure
            - data_integrity_failure
            - runner_system_failure
            - scheduler_failure
            - stuck_or_timeout_failure
            - unknown_failure
        script:
          - ls -l "split.amd64/chunks/stage-0.yml" "split.amd64/chunks/stage-1.yml"
        artifacts:
          paths:
            - split.amd64/chunks/stage-0.yml
            - split.amd64/chunks/stage-1.yml
          expire_in: 1 week

      build stage-0 for amd64:
        stage: stage-0
        needs:
          - collect child pipelines for amd64
        trigger:
          include:
            - artifact: split.amd64/chunks/stage-0.yml
              job: collect child pipelines for amd64
          strategy: depend

      build stage-1 for amd64:
        stage: stage-1
        needs:
          - collect child pipelines for amd64
          - build stage-0 for amd64
        trigger:
          include:
            - artifact: split.amd64/chunks/stage-1.yml
              job: collect child pipelines for amd64
          strategy: depend

      rebuild-index:
        stage: rebuild-index
        image:
          name: ghcr.io/example/spack-service:latest
          pull_policy: always
        tags:
          - kubernetes
          - amd64
        needs:
          - build stage-1 for amd64
        dependencies:
          []
        variables:
          AWS_ACCESS_KEY_ID: $CACHE_ACCESS_KEY_ID
          AWS_SECRET_ACCESS_KEY: $CACHE_SECRET_ACCESS_KEY
          KUBERNETES_CPU_REQUEST: "4"
          KUBERNETES_MEMORY_REQUEST: 8Gi
          S3_ENDPOINT_URL: https://s3.example.org
          SPACK_ARTIFACTS_ROOT: jobs_scratch_dir.amd64/app
          SPACK_CHECKOUT_VERSION: 0.19.0 (a86911246a8c5571ca210ff25fc990b8eb297a5c)
          SPACK_CI_STACK_NAME: None
          SPACK_CONCRETE_ENV_DIR: jobs_scratch_dir.amd64/app/concrete_environment
          SPACK_JOB_LOG_DIR: jobs_scratch_dir.amd64/app/logs
          SPACK_JOB_REPRO_DIR: jobs_scratch_dir.amd64/app/reproduction
          SPACK_JOB_TEST_DIR: jobs_scratch_dir.amd64/app/tests
          SPACK_LOCAL_MIRROR_DIR: /builds/spack-work/ciproj
          SPACK_PIPELINE_TYPE: None
          SPACK_REBUILD_CHECK_UP_TO_DATE: "True"
          SPACK_REBUILD_EVERYTHING: "False"
          SPACK_REMOTE_MIRROR_URL: file:///builds/spack-work/buildcache-v0.19
          SPACK_VERSION: 0.19.0 (a86911246a8c5571ca210ff25fc990b8eb297a5c)
        interruptible: true
        timeout: 4h
        retry:
          max: 2
          when:
            - api_failure
            - data_integrity_failure
            - runner_system_failure
            - scheduler_failure
            - stuck_or_timeout_failure
            - unknown_failure
        script:
          - spack buildcache update-index --keys -d file:///builds/spack-work/buildcache-v0.19
      "
    `);
  });
});

describe("programmatic budgets", () => {
  it("are checked against the ranges the CLI's flags parse with, every bad one named at once", async () => {
    const root = await useTempDir(inputTree({ app: spackFixture("0.23.1", "partial") }));
    const read = await readSpackPipelines({ inputDir: join(root, "jobs_scratch_dir.amd64") });
    const pipelines = read.value!;
    const call = () =>
      splitPipelines({
        arch: "amd64",
        architecture: architecture(),
        outputPath: "split.amd64",
        pipelineId: "4242",
        pipelines,
        maxJobs: 0,
        maxBytes: 1.5,
      });
    expect(call).toThrowErrorMatchingInlineSnapshot(
      `[UsageError: maxJobs takes a whole number ≥ 1, got 0; maxBytes takes a whole number ≥ 1, got 1.5.]`,
    );
  });
});
