import { expect, test } from "vitest";
import { infrastructureRetry } from "./gitlab-limits.js";
import { renderPipelineYaml } from "./render-pipeline-yaml.js";
import { shareJobSettings } from "./share-job-settings.js";

const templates = {
  ".amd64": { tags: ["k8s", "amd64"], variables: { CPU: "4" } },
  ".arm64": { tags: ["k8s", "arm64"], variables: { CPU: "2" } },
};

test("default: says retry and interruptible once; jobs that differ keep their own; templates carry tags and variables", () => {
  const shared = shareJobSettings(
    {
      stages: ["build", "publish"],
      jobs: {
        build: {
          stage: "build",
          tags: ["k8s", "amd64"],
          variables: { CPU: "4", OWN: "x" },
          interruptible: true,
          retry: infrastructureRetry(),
          script: ["make"],
        },
        publish: {
          stage: "publish",
          tags: ["k8s", "amd64"],
          variables: { CPU: "8" },
          interruptible: false,
          retry: infrastructureRetry(1),
          script: ["push"],
        },
        "no settings": { stage: "publish", script: ["true"] },
        child: { stage: "publish", trigger: { include: [{ local: "c.yml" }], strategy: "depend" } },
      },
    },
    { templates },
  );
  expect(renderPipelineYaml(shared)).toMatchInlineSnapshot(`
    "stages:
      - build
      - publish

    default:
      interruptible: true
      retry:
        max: 2
        when:
          - api_failure
          - data_integrity_failure
          - runner_system_failure
          - scheduler_failure
          - stuck_or_timeout_failure
          - unknown_failure

    .amd64:
      tags:
        - k8s
        - amd64
      variables:
        CPU: "4"

    build:
      stage: build
      extends: .amd64
      variables:
        OWN: x
      script:
        - make

    child:
      stage: publish
      trigger:
        include:
          - local: c.yml
        strategy: depend

    no settings:
      stage: publish
      interruptible: false
      retry:
        max: 0
      script:
        - "true"

    publish:
      stage: publish
      tags:
        - k8s
        - amd64
      variables:
        CPU: "8"
      interruptible: false
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
        - push
    "
  `);
});

test("a job extending a template that is not there is refused", () => {
  expect(() =>
    renderPipelineYaml({ jobs: { a: { stage: "s", extends: ".gone", script: ["true"] } }, stages: ["s"] }),
  ).toThrow('job "a" extends ".gone", which is not a template of this pipeline');
});
