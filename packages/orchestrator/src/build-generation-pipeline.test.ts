import { type ContainerDefinition, checkPipeline, parseSiteConfig, readCiContext } from "@spacktainers/core";
import { expect, test } from "vitest";
import { buildGenerationPipeline } from "./build-generation-pipeline.js";

const config = parseSiteConfig({
  text: `architectures:
  amd64:
    runner_tags: [x]
    spack_requirement: "%gcc"
    cache_bucket: { name: cache-a, credentials: { access_key_var: K, secret_key_var: S } }
    containers_bucket: { name: sifs, credentials: { access_key_var: K2, secret_key_var: S2 } }
spack: { repository: r, branch: b, template: { spack: {} } }
`,
}).value!;
const context = readCiContext({ env: {}, now: new Date(0) });
const spack = (name: string): ContainerDefinition => ({
  kind: "spack",
  form: "file",
  name,
  arch: "amd64",
  path: `container_definitions/amd64/${name}.yaml`,
  checksum: "0",
  checksumInputs: [],
  spack: { specs: [name] },
  specs: [name],
  mainPackage: name,
  files: [],
  strip: true,
});
const baseImages = {
  jobs: {},
  stages: [],
  builderImage: { amd64: "reg/builder:abc" },
  builderNeeds: { amd64: [] },
};

test("the plan jobs wait for every concretize job while GitLab's 50-needs limit allows, then for the stage", () => {
  const custom: ContainerDefinition = {
    kind: "custom",
    form: "def",
    name: "tool",
    arch: "amd64",
    path: "container_definitions/amd64/tool.def",
    checksum: "0",
    checksumInputs: [],
    source: { repository: "tool", tag: "latest", original: "tool" },
    text: "",
  };
  const needsOf = (count: number) => {
    const definitions = [custom, ...Array.from({ length: count }, (_, i) => spack(`c${i}`))];
    const pipeline = buildGenerationPipeline({ config, definitions, context, baseImages });
    expect(checkPipeline(pipeline)).toEqual([]);
    return pipeline.jobs["split spack pipeline for amd64"]!.needs?.length;
  };
  expect(needsOf(49)).toBe(50);
  expect(needsOf(50)).toBeUndefined();
  expect(needsOf(0)).toBe(1);
});
