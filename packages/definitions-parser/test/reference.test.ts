import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type ContainerDefinition, sha256Hex } from "@spacktainers/core";
import { REPO_ROOT } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { loadDefinitions } from "../src/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`../__fixtures__/${name}`, import.meta.url));

/** One line per definition: what a reader checks at a glance. */
function describeDefinition(definition: ContainerDefinition): string {
  const what =
    definition.kind === "spack"
      ? `${definition.mainPackage}${definition.files.length ? ` files=${definition.files.length}` : ""}${definition.epilogue ? " epilogue" : ""}`
      : `${definition.source.repository}:${definition.source.tag}`;
  return `${definition.arch}/${definition.name} ${definition.kind}/${definition.form} ${what} [${definition.checksumInputs.length}]`;
}

describe("the original project's definitions", () => {
  it("accepts commit e5a29a7 (file form, .def, _arm64 disabled) with byte-exact checksums", async () => {
    const root = fixture("reference-e5a29a7");
    const result = await loadDefinitions({ root });
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.definitions.map(describeDefinition)).toEqual([
      "amd64/brainbuilder spack/file brainbuilder [1]",
      "amd64/brayns spack/file brayns [1]",
      "amd64/connectome-manipulator spack/file py-connectome-manipulator [1]",
      "amd64/functionalizer spack/file py-functionalizer [1]",
      "amd64/neurodamus-hippocampus spack/file neurodamus-models [1]",
      "amd64/neurodamus-neocortex-multiscale spack/file neurodamus-models [1]",
      "amd64/neuron spack/file neuron [1]",
      "amd64/nexus-storage custom/def bluebrain/nexus-storage:latest [1]",
      "amd64/system-benchmarks spack/file osu-micro-benchmarks [1]",
      "amd64/touchdetector spack/file touchdetector [1]",
    ]);
    const brayns = result.definitions.find((d) => d.name === "brayns")!;
    expect(brayns).toEqual({
      kind: "spack",
      form: "file",
      name: "brayns",
      arch: "amd64",
      path: "container_definitions/amd64/brayns.yaml",
      spack: { specs: ["brayns", "py-brayns"] },
      specs: ["brayns", "py-brayns"],
      mainPackage: "brayns",
      files: [],
      strip: true,
      checksum: "ceb4648ebceb224cf7fa8f2d1578e0715d39c32cc77e7aafd8367d40263db2fb",
      checksumInputs: ["container_definitions/amd64/brayns.yaml"],
    });
    // A single-file definition's checksum is the sha256 of the file, as the original computed it.
    for (const definition of result.definitions) {
      expect(definition.checksum).toBe(sha256Hex(await readFile(`${root}/${definition.path}`)));
    }
  });

  it("accepts commit af3cb23 (folder form, epilogues, flow lists, ---, version ranges)", async () => {
    const result = await loadDefinitions({ root: fixture("reference-af3cb23") });
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.definitions.map(describeDefinition)).toEqual([
      "amd64/appositionizer spack/folder appositionizer [1]",
      "amd64/brain-indexer spack/folder py-brain-indexer [1]",
      "amd64/brainbuilder spack/file brainbuilder [1]",
      "amd64/brayns spack/folder brayns [1]",
      "amd64/connectome-manipulator spack/folder parquet-converters [1]",
      "amd64/functionalizer spack/folder parquet-converters [1]",
      "amd64/multiscale-run spack/folder gmsh [1]",
      "amd64/neurodamus-hippocampus spack/folder neurodamus-models epilogue [2]",
      "amd64/neurodamus-neocortex spack/folder neurodamus-models epilogue [2]",
      "amd64/neurodamus-neocortex-multiscale spack/file neurodamus-models [1]",
      "amd64/neurodamus-thalamus spack/folder neurodamus-models epilogue [2]",
      "amd64/nexus-storage custom/def bluebrain/nexus-storage:latest [1]",
      "amd64/system-benchmarks spack/folder osu-micro-benchmarks [1]",
      "amd64/touchdetector spack/folder touchdetector [1]",
    ]);
    const neocortex = result.definitions.find((d) => d.name === "neurodamus-neocortex")!;
    expect(neocortex).toMatchObject({
      specs: ["neurodamus-models model=neocortex ~plasticity+coreneuron+caliper", "py-neurodamus"],
      epilogue:
        "RUN apt-get update \\\n    && apt-get install -y gcc g++ make \\\n    && rm -rf /var/lib/apt/lists/*\n",
      checksumInputs: [
        "container_definitions/amd64/neurodamus-neocortex/Dockerfile.epilogue",
        "container_definitions/amd64/neurodamus-neocortex/spack.yaml",
      ],
    });
  });
});

describe("the repository's own sample definitions", () => {
  it("are valid, cover every form and both architectures", async () => {
    const result = await loadDefinitions({ root: REPO_ROOT });
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(Object.keys(result.config!.architectures)).toEqual(["amd64", "arm64"]);
    expect(result.definitions.map(describeDefinition)).toEqual([
      "amd64/brayns spack/file brayns [1]",
      "amd64/meshing spack/file gmsh [1]",
      "amd64/neuron spack/folder neuron files=2 epilogue [5]",
      "amd64/nexus-storage custom/def bluebrain/nexus-storage:latest [1]",
      "amd64/system-benchmarks spack/file osu-micro-benchmarks files=1 [2]",
      "arm64/neuron spack/file neuron [1]",
      "arm64/system-benchmarks spack/folder osu-micro-benchmarks [1]",
    ]);
    const neuron = result.definitions.find((d) => d.arch === "amd64" && d.name === "neuron")!;
    expect(neuron.checksumInputs).toEqual([
      "container_definitions/amd64/neuron/Dockerfile.epilogue",
      "container_definitions/amd64/neuron/spack.yaml",
      "container_definitions/amd64/neuron/spacktainer.yaml",
      "files/neuron/hoc/smoke-test.hoc",
      "files/neuron/run-smoke-test.sh",
    ]);
  });
});
