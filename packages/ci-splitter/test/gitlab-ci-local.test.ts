import { gitlabCiFailures, validateGitlabCi, validateGitlabCiYaml } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";

// The helper every package uses to check emitted YAML; tested here because ci-splitter owns it.
describe("validateGitlabCi (gitlab-ci-local 4.73.0)", () => {
  it("accepts a valid parent and its child, checked one by one, and lists their jobs", async () => {
    const results = await validateGitlabCi({
      files: {
        "parent.yml": [
          "stages: [collect, trigger]",
          "collect:",
          "  stage: collect",
          "  script: [echo collect]",
          "  artifacts: {paths: [child.yml]}",
          "run child:",
          "  stage: trigger",
          "  needs: [collect]",
          "  trigger:",
          "    include: [{artifact: child.yml, job: collect}]",
          "    strategy: depend",
          "",
        ].join("\n"),
        "child.yml": [
          "stages: [stage-0]",
          "build:",
          "  stage: stage-0",
          "  needs: [{job: concretize x for amd64, pipeline: $PARENT_PIPELINE_ID}]",
          "  retry: {max: 2, when: [runner_system_failure]}",
          "  script: [echo build]",
          "",
        ].join("\n"),
      },
    });
    expect(gitlabCiFailures(results)).toEqual([]);
    expect(results.map((result) => ({ file: result.file, jobs: result.jobs }))).toEqual([
      {
        file: "parent.yml",
        jobs: [
          { name: "collect", description: "", stage: "collect", when: "on_success", allow_failure: false },
          {
            name: "run child",
            description: "",
            stage: "trigger",
            when: "on_success",
            allow_failure: false,
            needs: [{ job: "collect", artifacts: true, optional: false }],
          },
        ],
      },
      {
        file: "child.yml",
        jobs: [
          {
            name: "build",
            description: "",
            stage: "stage-0",
            when: "on_success",
            allow_failure: false,
            needs: [],
          },
        ],
      },
    ]);
  });

  it("fails on an unknown keyword and a bad retry.when, with gitlab-ci-local's message", async () => {
    const result = await validateGitlabCiYaml(
      "stages: [a]\njob:\n  stage: a\n  script: [echo]\n  retry: {max: 2, when: [flaky]}\n  colour: blue\n",
    );
    expect(result.ok).toBe(false);
    expect(result.jobs).toEqual([]);
    const bullets = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("\t•") && line.includes(" at job"));
    expect(bullets).toEqual([
      "\t• 'colour' property is not expected to be here at job [#/additionalProperties]",
      "\t• 'retry' property type must be integer at job.retry [#/definitions/retry_max/type]",
      "\t• 'when' property must be equal to the allowed value at job.retry.when [#/definitions/retry_errors/oneOf/0/const]",
      "\t• '0' property must be equal to the allowed value at job.retry.when.0 [#/definitions/retry_errors/oneOf/0/const]",
    ]);
  });

  it("fails on a need of a missing job", async () => {
    const result = await validateGitlabCiYaml(
      "stages: [a]\njob:\n  stage: a\n  needs: [ghost]\n  script: [echo]\n",
    );
    expect({ ok: result.ok, stderr: result.stderr.trim() }).toEqual({
      ok: false,
      stderr: "needs: [ghost] for job could not be found",
    });
  });
});
