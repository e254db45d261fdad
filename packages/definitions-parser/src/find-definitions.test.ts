import { sha256Hex, treeChecksum } from "@spacktainers/core";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { findDefinitions } from "./find-definitions.js";

const encode = (text: string) => new TextEncoder().encode(text);

describe("findDefinitions", () => {
  it("reads spacktainer: strip (default true) in the file and folder forms", async () => {
    const root = await useTempDir({
      "container_definitions/amd64/plain.yaml": "spack:\n  specs: [zlib]\n",
      "container_definitions/amd64/kept.yaml": "spack:\n  specs: [zlib]\nspacktainer:\n  strip: false\n",
      "container_definitions/amd64/folder/spack.yaml": "spack:\n  specs: [zlib]\n",
      "container_definitions/amd64/folder/spacktainer.yaml": "strip: false\n",
    });
    const result = await findDefinitions({ root });
    expect(result.problems).toEqual([]);
    expect(
      result.definitions.map((d) => `${d.name} strip=${d.kind === "spack" ? d.strip : "-"}`).sort(),
    ).toEqual(["folder strip=false", "kept strip=false", "plain strip=true"]);
  });

  it("without a config reads every folder not starting with _, and warns about stray files", async () => {
    const root = await useTempDir({
      "container_definitions/riscv64/a.yaml": "spack:\n  specs: [zlib]\n",
      "container_definitions/riscv64/b/spack.yaml": "spack:\n  specs: [bzip2]\n",
      "container_definitions/riscv64/b/notes.txt": "x\n",
      "container_definitions/riscv64/b/spacktainer.yml": "files: []\n",
      "container_definitions/riscv64/.hidden.yaml": "not read\n",
      "container_definitions/_off/c.yaml": "broken: [\n",
      "container_definitions/README.md": "top-level files are not definitions\n",
    });
    const result = await findDefinitions({ root });
    expect({
      names: result.definitions.map((d) => `${d.arch}/${d.name}`),
      problems: result.problems,
      warnings: result.warnings,
    }).toEqual({
      names: ["riscv64/a", "riscv64/b"],
      problems: [],
      warnings: [
        {
          code: "FILE_IGNORED",
          message:
            "notes.txt is ignored: a definition folder holds spack.yaml, Dockerfile.epilogue, spacktainer.yaml",
          file: "container_definitions/riscv64/b/notes.txt",
        },
        {
          code: "FILE_IGNORED",
          message: "spacktainer.yml is not read: did you mean spacktainer.yaml?",
          file: "container_definitions/riscv64/b/spacktainer.yml",
        },
      ],
    });
  });

  it("checksums a folder-form container over spack.yaml, epilogue, spacktainer.yaml and copied bytes", async () => {
    const files = {
      "container_definitions/amd64/app/spack.yaml": "spack:\n  specs: [app]\n",
      "container_definitions/amd64/app/Dockerfile.epilogue": "RUN true\n",
      "container_definitions/amd64/app/spacktainer.yaml":
        "files:\n  - files/app:/opt/app\n  - files/app/a.txt:/a.txt\n",
      "files/app/a.txt": "a\n",
      "files/app/sub/b.txt": "b\n",
    };
    const root = await useTempDir(files);
    const { definitions, problems } = await findDefinitions({
      root,
      config: { architectures: { amd64: {} as never } },
    });
    expect(problems).toEqual([]);
    const paths = Object.keys(files).sort();
    expect(definitions.map((d) => [d.checksum, d.checksumInputs])).toEqual([
      [
        treeChecksum(paths.map((path) => ({ path, bytes: encode(files[path as keyof typeof files]) }))),
        [
          "container_definitions/amd64/app/Dockerfile.epilogue",
          "container_definitions/amd64/app/spack.yaml",
          "container_definitions/amd64/app/spacktainer.yaml",
          "files/app/a.txt",
          "files/app/sub/b.txt",
        ],
      ],
    ]);
    // Any byte of a copied file changes the checksum; the reference ignored copied files.
    const changed = await useTempDir({ ...files, "files/app/sub/b.txt": "B\n" });
    const again = await findDefinitions({ root: changed, config: { architectures: { amd64: {} as never } } });
    expect(again.definitions[0]!.checksum).not.toBe(definitions[0]!.checksum);
    expect(definitions[0]!.checksum).not.toBe(sha256Hex(files["container_definitions/amd64/app/spack.yaml"]));
  });
});
