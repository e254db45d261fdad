import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  aliasGitlabCiLocalArtifacts,
  binCommand,
  createFixtureRepo,
  git,
  readTree,
  runGitlabCiLocal,
} from "./helpers/e2e-repo.js";

/**
 * A gitlab-ci-local 4.73.0 RUN (shell executor, isolated job folders, no network) of a small
 * parent pipeline shaped like ours: `generate` (our bin) → a concretize job that stands in for
 * Spack with real Spack 1.0.2 outputs → `split` and `containers` (our bin) on those artifacts →
 * a trigger of the generated split pipeline (artifact include), whose collect job hands the
 * chunk files to grandchild pipelines, whose build jobs `cd` into the concretize job's
 * artifacts and call a recording stand-in for `spack`.
 */

const AMD64_SPLIT = "split spack pipeline for amd64";
const COLLECT = "collect child pipelines for amd64";

function parentPipeline(spacktainers: string): string {
  const pipeline = {
    stages: ["generate", "concretize", "plan", "check"],
    variables: { SPACKTAINERS: spacktainers },
    generate: {
      stage: "generate",
      script: ["$SPACKTAINERS generate --root . --out out"],
      artifacts: { paths: ["out/"] },
    },
    // What `concretize <c> for amd64` leaves behind (spack.lock next to spack.yaml, Spack's
    // pipeline and concrete environment), from the real Spack outputs in fixtures/.
    "concretize fixture-app for amd64": {
      stage: "concretize",
      needs: ["generate"],
      script: [
        "test -f out/environments/amd64/fixture-app/spack.yaml",
        "mkdir -p out/jobs_scratch_dir.amd64/fixture-app/concrete_environment",
        "cp fixtures/locks/1.0.2-ci-generate-empty-mirror.lock out/environments/amd64/fixture-app/spack.lock",
        "cp out/environments/amd64/fixture-app/spack.yaml out/environments/amd64/fixture-app/spack.lock out/jobs_scratch_dir.amd64/fixture-app/concrete_environment/",
        "cp fixtures/spack/1.0.2/ci-generate-empty-mirror/pipeline.yml out/jobs_scratch_dir.amd64/fixture-app/pipeline.yml",
      ],
      artifacts: {
        paths: ["out/environments/amd64/fixture-app/", "out/jobs_scratch_dir.amd64/fixture-app/"],
      },
    },
    [AMD64_SPLIT]: {
      stage: "plan",
      needs: ["generate", "concretize fixture-app for amd64"],
      script: ["$SPACKTAINERS split --root . --arch amd64"],
      artifacts: { paths: ["out/split/amd64/"] },
    },
    "plan containers for amd64": {
      stage: "plan",
      needs: ["generate", "concretize fixture-app for amd64"],
      // fixture-app only: the other amd64 containers have no lock in this small run.
      script: [
        "rm -r container_definitions/amd64/zlib-tools container_definitions/amd64/storage.def",
        "$SPACKTAINERS containers --root . --arch amd64 --now 2026-01-31T12:00:00Z",
      ],
      artifacts: { paths: ["out/containers/amd64/"] },
    },
    // Sees only what its needs hand over (isolated job folder).
    "check hand-off": {
      stage: "check",
      needs: [AMD64_SPLIT, "plan containers for amd64"],
      script: [
        "find out -type f | sort > handed-over.txt",
        'echo "pipeline A id $CI_PIPELINE_ID" >> handed-over.txt',
        "cp handed-over.txt $RESULTS_DIR/",
      ],
    },
  };
  return JSON.stringify(pipeline, null, 2);
}

const TRIGGER_FILE = ".gitlab-ci-trigger.yml";

/** The parent's trigger of the split pipeline, as `.gitlab-ci.yml` has it, fed by the split job's artifacts. */
const TRIGGER_PIPELINE = JSON.stringify({
  stages: ["populate"],
  "populate build cache for amd64": {
    stage: "populate",
    trigger: {
      include: [{ artifact: "out/split/amd64/pipeline.yml", job: AMD64_SPLIT }],
      strategy: "depend",
    },
  },
});

/** Stands in for Spack in the build jobs: records which spec, where, and what was asked. */
function fakeSpack(log: string): string {
  // An absolute log path: gitlab-ci-local does not pass --variable on to child pipelines.
  return `#!/bin/sh\necho "\${SPACK_JOB_SPEC_PKG_NAME:--} $(pwd -P) spack $*" >> '${log}'\n`;
}

let root: string;
let remove: () => Promise<void>;
let results: string;
let run: { code: number; output: string };

function gitlabCiLocal(args: string[]): Promise<{ code: number; output: string }> {
  return runGitlabCiLocal({
    root,
    home: join(root, ".glcl-home"),
    bin: join(root, ".fakebin"),
    // Spack's build jobs name an image; they run in the shell with the stand-in spack.
    args: ["--variable", `RESULTS_DIR=${results}`, ...args],
  });
}

beforeAll(async () => {
  const fixtures = await readTree(join(import.meta.dirname, "../__fixtures__"), ["repo"]);
  ({ root, remove } = await createFixtureRepo({
    ...Object.fromEntries(Object.entries(fixtures).map(([path, text]) => [`fixtures/${path}`, text])),
    ".gitlab-ci.yml": parentPipeline(binCommand("orchestrator")),
    [TRIGGER_FILE]: TRIGGER_PIPELINE,
  }));
  // What gitlab-ci-local asks git for (see test-utils' validateGitlabCi).
  await git(root, "config", "user.name", "test");
  await git(root, "config", "user.email", "test@example.org");
  await git(root, "remote", "add", "origin", "https://gitlab.example.org/group/project.git");
  await git(root, "update-ref", `refs/remotes/origin/${"feature/e2e"}`, "HEAD");
  await git(root, "update-ref", "refs/remotes/origin/main", "HEAD");
  await git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
  results = join(root, ".results");
  await mkdir(results);
  await mkdir(join(root, ".fakebin"));
  await writeFile(join(root, ".fakebin/spack"), fakeSpack(join(results, "spack-calls.log")), { mode: 0o755 });
  await aliasGitlabCiLocalArtifacts(root, [AMD64_SPLIT, COLLECT]);
  await mkdir(join(root, ".glcl-home"));
  // Run 1, isolated job folders: each parent job sees the repository plus its needs' artifacts
  // only (which gitlab-ci-local also copies back to the project dir).
  const parent = await gitlabCiLocal([
    "--shell-isolation",
    ...[
      "generate",
      "concretize fixture-app for amd64",
      AMD64_SPLIT,
      "plan containers for amd64",
      "check hand-off",
    ].flatMap((job) => ["--job", job]),
  ]);
  // Run 2, the trigger: gitlab-ci-local ignores `needs: pipeline:` and gives downstream jobs the
  // upstream artifacts through the project dir, so this run is not isolated. The include is
  // read from the split job's stored artifacts (run 1).
  // (`--job` would be passed on to the child pipelines, so the trigger gets a file of its own.)
  const trigger = await gitlabCiLocal(["--file", TRIGGER_FILE]);
  run = { code: parent.code || trigger.code, output: `${parent.output}\n${trigger.output}` };
}, 300_000);

afterAll(async () => {
  await remove?.();
});

describe("gitlab-ci-local run of a pipeline calling our bins", () => {
  it("passes every job of the parent, the triggered split pipeline and its chunk pipelines", () => {
    expect({
      code: run.code,
      failed: run.output.split("\n").filter((line) => line.includes(" FAIL ")),
    }).toEqual({
      code: 0,
      failed: [],
    });
    const passed = run.output
      .split("\n")
      .filter((line) => line.startsWith(" PASS "))
      .map((line) => line.slice(" PASS ".length).trim())
      .sort();
    expect(passed).toEqual(
      [
        "[populate build cache for amd64 -> build stage-0 for amd64] -> compiler-wrapper@1.0 /4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
        "[populate build cache for amd64 -> build stage-0 for amd64] -> fixture-hello@1.0 /i5frtbpwrwgkdxxet6b7yst27zpo72rn",
        "[populate build cache for amd64 -> build stage-0 for amd64] -> gcc-runtime@12.2.0 /t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
        "[populate build cache for amd64 -> build stage-1 for amd64] -> fixture-app@2.0 /6aiy7iplw5jknw77vopd6nwuexerylxq",
        "[populate build cache for amd64 -> build stage-1 for amd64] -> zlib@1.2.13 /mgowe23us2ms6sm5pk343rbrny3quz7g",
        "[populate build cache for amd64] -> build stage-0 for amd64",
        "[populate build cache for amd64] -> build stage-1 for amd64",
        `[populate build cache for amd64] -> ${COLLECT}`,
        "[populate build cache for amd64] -> rebuild-index",
        AMD64_SPLIT,
        "check hand-off",
        "concretize fixture-app for amd64",
        "generate",
        "plan containers for amd64",
        "populate build cache for amd64",
      ].sort(),
    );
  });

  it("hands generate's, concretize's, split's and plan's artifacts to the job that needs them", async () => {
    const handedOver = (await readFile(join(results, "handed-over.txt"), "utf8")).trim().split("\n");
    const pipelineId = handedOver.pop()!;
    expect(pipelineId).toMatch(/^pipeline A id \d+$/);
    expect(handedOver).toEqual([
      "out/containers/amd64/fixture-app/Dockerfile",
      "out/containers/amd64/fixture-app/spack.lock",
      "out/containers/amd64/fixture-app/spack.yaml",
      "out/containers/amd64/pipeline.yml",
      "out/containers/amd64/plan.json",
      "out/split/amd64/chunks/stage-0.yml",
      "out/split/amd64/chunks/stage-1.yml",
      "out/split/amd64/pipeline.yml",
    ]);
    // The split pipeline's cross-pipeline needs name this run's pipeline id (CI_PIPELINE_ID).
    const id = pipelineId.replace("pipeline A id ", "");
    const split = parse(await readFile(join(root, "out/split/amd64/pipeline.yml"), "utf8")) as Record<
      string,
      { needs?: unknown[] }
    >;
    expect(split[COLLECT]?.needs).toEqual([{ job: AMD64_SPLIT, pipeline: id, artifacts: true }]);
    const plan = JSON.parse(await readFile(join(root, "out/containers/amd64/plan.json"), "utf8")) as Array<{
      name: string;
      tag: string;
    }>;
    expect(plan.map(({ name, tag }) => ({ name, tag }))).toEqual([
      { name: "fixture-app", tag: "2.0__feature-e2e" },
    ]);
  });

  it("runs every split build job once, inside the concretize job's artifacts", async () => {
    const calls = (await readFile(join(results, "spack-calls.log"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => line.replace(new RegExp(`${root}(?=[/ ])`), "<repo>"))
      .sort();
    const inEnvironment = "<repo>/out/jobs_scratch_dir.amd64/fixture-app/concrete_environment";
    expect(calls).toEqual(
      [
        ...["compiler-wrapper", "fixture-app", "fixture-hello", "gcc-runtime", "zlib"].flatMap((spec) => [
          `${spec} ${inEnvironment} spack ci rebuild`,
          `${spec} ${inEnvironment} spack env activate --without-view .`,
        ]),
        "- <repo> spack buildcache update-index --keys file:///builds/spack-work/buildcache-v1.0",
      ].sort(),
    );
  });
});
