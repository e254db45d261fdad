import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseSiteConfig } from "@spacktainers/core";
import { expect, test } from "vitest";
import { buildParentPipeline } from "./build-parent-pipeline.js";
import { checkParentPipeline, parentPipelineDrift } from "./check-parent-pipeline.js";
import { renderParentPipeline } from "./render-parent-pipeline.js";

const arch = (name: string) => `
  ${name}:
    runner_tags: [${name}]
    spack_requirement: "%gcc@12"
    cache_bucket: { name: cache-${name}, credentials: { access_key_var: K, secret_key_var: S } }
    containers_bucket: { name: sifs, credentials: { access_key_var: K2, secret_key_var: S2 } }`;
const configWith = (...arches: string[]) =>
  parseSiteConfig({
    text: `architectures:${arches.map(arch).join("")}\nspack: { repository: r, branch: b, template: { spack: {} } }\n`,
  }).value!;

test("the generated parent pipeline triggers every configured arch, each guarded by rules: exists", () => {
  const config = configWith("amd64", "arm64");
  const text = renderParentPipeline(buildParentPipeline({ config }));
  expect(checkParentPipeline({ text, config })).toEqual([]);
  const pipeline = buildParentPipeline({ config });
  expect(Object.keys(pipeline.jobs)).toEqual([
    "lint, typecheck and test the tool",
    "validate and plan",
    "generate",
    "concretize and plan",
    "gather",
    "populate build cache for amd64",
    "build containers for amd64",
    "prune build cache for amd64",
    "populate build cache for arm64",
    "build containers for arm64",
    "prune build cache for arm64",
    "remove SIFs of deleted branches",
    "release npm packages",
  ]);
  // Prune comes after the population and the image builds of its arch, never before.
  expect(pipeline.jobs["prune build cache for arm64"]!.needs).toEqual([
    "generate",
    "populate build cache for arm64",
    "build containers for arm64",
  ]);
});

test("an arch added to the config but not to .gitlab-ci.yml is reported with its location", () => {
  const text = renderParentPipeline(buildParentPipeline({ config: configWith("amd64") }));
  const problems = checkParentPipeline({ text, config: configWith("amd64", "arm64") });
  expect(problems.map((p) => [p.code, p.message])).toEqual([
    [
      "PARENT_PIPELINE_MISSING_ARCH",
      'architecture arm64 is configured but .gitlab-ci.yml has no job "populate build cache for arm64" triggering out/split/arm64/pipeline.yml',
    ],
    [
      "PARENT_PIPELINE_MISSING_ARCH",
      'architecture arm64 is configured but .gitlab-ci.yml has no job "build containers for arm64" triggering out/containers/arm64/pipeline.yml',
    ],
  ]);
});

test("a trigger without its rules: exists guard is reported at the job's line", () => {
  const config = configWith("amd64");
  const text = renderParentPipeline(buildParentPipeline({ config })).replace(
    /(build containers for amd64:\n(?:.*\n)*? {2}rules:\n(?:.*\n)*?) {4}- exists:\n {8}- container_definitions\/amd64\/\*\*\/\*\n/,
    "$1",
  );
  const problems = checkParentPipeline({ text, config });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({
    code: "PARENT_PIPELINE_UNGUARDED",
    file: ".gitlab-ci.yml",
    line: text.split("\n").indexOf("build containers for amd64:") + 1,
  });
});

test("a parent pipeline that is not what parent-pipeline writes now gets a located warning", () => {
  const config = configWith("amd64");
  const text = renderParentPipeline(buildParentPipeline({ config }));
  expect(parentPipelineDrift({ text, config })).toEqual([]);
  const edited = text.replace("timeout: 30m", "timeout: 45m");
  const line = text.split("\n").findIndex((content) => content.includes("timeout: 30m")) + 1;
  expect(parentPipelineDrift({ text: edited, config })).toEqual([
    expect.objectContaining({ code: "PARENT_PIPELINE_STALE", file: ".gitlab-ci.yml", line }),
  ]);
});

test("this repository's .gitlab-ci.yml is what parent-pipeline writes for its own site config", async () => {
  const root = fileURLToPath(new URL("../../..", import.meta.url));
  const config = parseSiteConfig({
    text: await readFile(`${root}/container_definitions/spacktainers.yaml`, "utf8"),
  }).value!;
  const text = await readFile(`${root}/.gitlab-ci.yml`, "utf8");
  expect(parentPipelineDrift({ text, config })).toEqual([]);
});
