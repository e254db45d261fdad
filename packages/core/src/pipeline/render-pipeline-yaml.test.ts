import { expect, test } from "vitest";
import { parse } from "yaml";
import { infrastructureRetry } from "./gitlab-limits.js";
import type { GitlabPipeline } from "./pipeline-model.js";
import { renderPipelineYaml } from "./render-pipeline-yaml.js";

const tags = ["amd64", "docker"];
const pipeline = (): GitlabPipeline => ({
  variables: { B: "2", A: "1" },
  jobs: {
    "build b": {
      script: ["make b"],
      stage: "stage-10",
      tags,
      needs: ["build a"],
      retry: infrastructureRetry(1),
      interruptible: true,
    },
    "build a": {
      stage: "stage-2",
      tags,
      script: [
        "make a --a-very-long-option-that-must-not-be-folded-by-the-yaml-writer-even-when-it-is-longer-than-eighty-characters",
      ],
    },
    trigger: {
      stage: "stage-10",
      trigger: { include: [{ artifact: "x.yml", job: "build a" }], strategy: "depend" },
      needs: [{ job: "build b", artifacts: false }],
    },
  },
});

test("deterministic YAML: natural stage order, jobs by stage then name, stable keys, no aliases, no folding", () => {
  const text = renderPipelineYaml(pipeline());
  expect(text).toMatchInlineSnapshot(`
    "stages:
      - stage-2
      - stage-10

    variables:
      A: "1"
      B: "2"

    build a:
      stage: stage-2
      tags:
        - amd64
        - docker
      script:
        - make a --a-very-long-option-that-must-not-be-folded-by-the-yaml-writer-even-when-it-is-longer-than-eighty-characters

    build b:
      stage: stage-10
      tags:
        - amd64
        - docker
      needs:
        - build a
      interruptible: true
      retry:
        max: 1
        when:
          - api_failure
          - data_integrity_failure
          - runner_system_failure
          - scheduler_failure
          - stuck_or_timeout_failure
          - unknown_failure
      script:
        - make b

    trigger:
      stage: stage-10
      needs:
        - job: build b
          artifacts: false
      trigger:
        include:
          - artifact: x.yml
            job: build a
        strategy: depend
    "
  `);
  expect(text).not.toMatch(/[&*]\w/);
  expect(renderPipelineYaml(pipeline())).toBe(text);
  expect(parse(text)["build b"].tags).toEqual(tags);
});

test("what GitLab would refuse is reported all at once", () => {
  const bad: GitlabPipeline = {
    stages: ["build"],
    jobs: {
      [`x${"y".repeat(255)}`]: { stage: "build", script: ["true"] },
      variables: { stage: "build", script: ["true"] },
      orphan: { stage: "deploy", script: [] },
      needy: { stage: "build", script: ["true"], needs: ["missing"] },
    },
  };
  expect(() => renderPipelineYaml(bad)).toThrowErrorMatchingInlineSnapshot(`
    [SpacktainersError: generated pipeline is invalid:
    - job name longer than 255 characters: xyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…
    - job name "variables" is a reserved keyword or hidden
    - job "orphan" is in stage "deploy", which is not in stages
    - job "orphan" has no script
    - job "needy" needs "missing", which is not in this pipeline]
  `);
});
