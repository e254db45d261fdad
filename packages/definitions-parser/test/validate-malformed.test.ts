import { runCli } from "@spacktainers/core";
import { type FileTree, runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { cli } from "../src/cli.js";
import { BASE_TREE, MALFORMED_CASES, type MalformedCase } from "./malformed-cases.js";

async function writeCase(testCase: MalformedCase): Promise<string> {
  const entries = Object.entries({ ...BASE_TREE, ...testCase.tree }).filter(([, value]) => value !== null);
  return useTempDir(Object.fromEntries(entries) as FileTree);
}

async function validateInProcess(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(cli, ["validate", "--root", root], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: root,
  });
  return { code, stdout, stderr: stderr.split(root).join("<root>") };
}

/** Exact stderr of `validate` for each malformed input: every message located and actionable. */
const EXPECTED: Record<string, string> = {
  "YAML syntax error": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:15: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]
  2 |   specs: [zlib
    |               ^
  hint: this line is indented less than the block it belongs to, or a flow list [ ... ] spans lines without being closed
`,
  "YAML duplicate key": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:3:3: YAML duplicate key: Map keys must be unique
  3 |   specs: [bzip2]
    |   ^
  hint: each key may appear once in a mapping: merge the two entries or remove one
`,
  "specs is a string": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:10: spack.specs must be array, found string "zlib"
  hint: list at least one spec; the first names the container's main package
`,
  "spack is a list": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:3: spack must be object, found a list
`,
  "unknown top-level key": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:3:1: unknown key "spacktainers" in the document (expected one of: spack, spacktainer)
`,
  "unknown spack key": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:3:3: key "pakages" is not allowed in spack
  hint: a top-level key of a Spack environment (specs, packages, concretizer, …)
`,
  "empty specs": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:10: spack.specs must list at least 1 item(s)
  hint: list at least one spec; the first names the container's main package
`,
  "missing specs": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:3: spack is missing the required key "specs"
`,
  "empty file": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:1:1: the document is missing the required key "spack"
`,
  "empty spec string": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:11: spack.specs.0 must not be empty
  hint: each spec is a string such as 'py-numpy@1.26 +blas'
`,
  "spec is a number": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:2:11: spack.specs.0 must be string, found number 42
  hint: each spec is a string such as 'py-numpy@1.26 +blas'
`,
  "first spec starts with a variant": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:3:7: spec "+mpi": the spec starts with "+mpi" instead of a package name; write the package first, e.g. "<package>+mpi"
  hint: the first spec names the container's main package (its version becomes the image version); write it as <package>[@version][+variant…], e.g. py-numpy@1.26+blas
`,
  "second spec names two packages": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:4:7: spec "hdf5 mpich": a second package name "mpich" follows "hdf5"; Spack would read two specs here — list each spec separately, or write ^mpich for a dependency
  hint: write the spec as Spack expects it, e.g. py-numpy@1.26 +blas ^openblas
`,
  "unquoted spec with ': ' read as a mapping": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:3:7: spack.specs.0 must be string, found a mapping
  hint: each spec is a string such as 'py-numpy@1.26 +blas'
`,
  "bad container name": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/My_Container.yaml: container name "My_Container" is not allowed: it must match ^[a-z0-9][a-z0-9._-]*$ and hold no "__"
  hint: rename it using lowercase letters, digits, ".", "_" and "-", starting with a letter or digit; "__" separates the parts of tags and SIF names (e.g. "my_container")
`,
  "container name with __": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/my__tool.yaml: container name "my__tool" is not allowed: it must match ^[a-z0-9][a-z0-9._-]*$ and hold no "__"
  hint: rename it using lowercase letters, digits, ".", "_" and "-", starting with a letter or digit; "__" separates the parts of tags and SIF names (e.g. "my_tool")
`,
  "same name as file and folder": `spacktainers-definitions: error: 2 problems found:
container_definitions/amd64/x: container "x" is defined more than once for amd64: container_definitions/amd64/x/ and container_definitions/amd64/x.yaml
  hint: keep one definition per name and architecture (file form, folder form or .def)
container_definitions/amd64/x.yaml: container "x" is defined more than once for amd64: container_definitions/amd64/x/ and container_definitions/amd64/x.yaml
  hint: keep one definition per name and architecture (file form, folder form or .def)
`,
  "same name as file and .def": `spacktainers-definitions: error: 2 problems found:
container_definitions/amd64/x.def: container "x" is defined more than once for amd64: container_definitions/amd64/x.def and container_definitions/amd64/x.yaml
  hint: keep one definition per name and architecture (file form, folder form or .def)
container_definitions/amd64/x.yaml: container "x" is defined more than once for amd64: container_definitions/amd64/x.def and container_definitions/amd64/x.yaml
  hint: keep one definition per name and architecture (file form, folder form or .def)
`,
  "folder without spack.yaml": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x: folder container_definitions/amd64/x/ has no spack.yaml
  hint: add container_definitions/amd64/x/spack.yaml with a spack: section listing specs, or rename the folder to start with _ if it is not a container
`,
  "spacktainer key inside a folder's spack.yaml": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x/spack.yaml:3:1: unknown key "spacktainer" in the document (expected one of: spack)
`,
  "unknown key in spacktainer.yaml": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x/spacktainer.yaml:1:1: unknown key "file" in the document (expected one of: files, strip)
`,
  "files entry with ..": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "files/../secret.txt:/opt/secret": source "files/../secret.txt" contains ".."; sources must stay under files/
  hint: write '<source>:<target>' with a source under files/ (relative to the repository root) and an absolute target, e.g. 'files/brayns/run.sh:/opt/brayns/run.sh'
`,
  "files entry with absolute source": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "/etc/passwd:/etc/passwd": source "/etc/passwd" is absolute; sources are relative to the repository root and lie under files/
  hint: write '<source>:<target>' with a source under files/ (relative to the repository root) and an absolute target, e.g. 'files/brayns/run.sh:/opt/brayns/run.sh'
`,
  "files entry with missing source": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "files/app/missing.sh:/opt/m.sh": source "files/app/missing.sh" does not exist
  hint: create files/app/missing.sh in the repository, or fix the path (it is relative to the repository root)
`,
  "files entry outside files/": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "secret.txt:/opt/secret": source "secret.txt" is not under files/
  hint: move the file to files/<container>/ and write e.g. 'files/secret.txt:/opt/secret'
`,
  "files entry through an escaping symlink": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "files/app/link:/opt/link": source "files/app/link" resolves to a path outside files/ through a symlink
  hint: copy the file into files/<container>/ instead of linking to it
`,
  "files entry with relative target": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: spacktainer.files.0 has an invalid value string "files/app/run.sh:opt/run.sh"
  hint: write '<source>:<target>' with a source under files/ and an absolute target, e.g. 'files/brayns/run.sh:/opt/run.sh'
`,
  "files entry without colon": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: spacktainer.files.0 has an invalid value string "files/app/run.sh"
  hint: write '<source>:<target>' with a source under files/ and an absolute target, e.g. 'files/brayns/run.sh:/opt/run.sh'
`,
  "files entries in a folder's spacktainer.yaml": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x/spacktainer.yaml:3:5: files entry "files/nope:/opt/nope": source "files/nope" does not exist
  hint: create files/nope in the repository, or fix the path (it is relative to the repository root)
`,
  ".def without From:": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.def:1:1: the header has no "From:" line, so there is no source image
  hint: add "From: <image>:<tag>" before the first %section, e.g. "From: bluebrain/nexus-storage:latest"
`,
  ".def with another bootstrap": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.def:1:12: "Bootstrap: library" is not supported; spacktainers wraps registry images only
  hint: use "Bootstrap: docker" with a registry image in "From:"
`,
  ".def with a bad image": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.def:2:7: "From:" "Ubuntu 22.04" contains whitespace; expected one image reference
  hint: write an image reference such as registry.example.org:5050/group/image:1.0 or image@sha256:<64 hex>
`,
  "definition with .yml extension": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yml: x.yml is not read: definitions end with .yaml
  hint: rename it to x.yaml
`,
  "site config missing": `spacktainers-definitions: error: 1 problem found:
container_definitions/spacktainers.yaml: the site configuration container_definitions/spacktainers.yaml does not exist
  hint: create it with at least architectures.<arch> and spack (see the repository's sample container_definitions/spacktainers.yaml)
`,
  "site config YAML error": `spacktainers-definitions: error: 1 problem found:
container_definitions/spacktainers.yaml:1:17: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]
  1 | architectures: [
    |                 ^
  hint: this line is indented less than the block it belongs to, or a flow list [ ... ] spans lines without being closed
`,
  "site config missing an architecture's fields": `spacktainers-definitions: error: 2 problems found:
container_definitions/spacktainers.yaml:3:5: architectures.amd64 is missing the required key "runner_tags"
container_definitions/spacktainers.yaml:3:5: architectures.amd64 is missing the required key "cache_bucket"
`,
  "site config with a wrong type": `spacktainers-definitions: error: 1 problem found:
container_definitions/spacktainers.yaml:3:18: architectures.amd64.runner_tags must be array, found string "amd64"
  hint: a list of GitLab runner tags
`,
  "no container_definitions folder": `spacktainers-definitions: error: 2 problems found:
container_definitions: there is no container_definitions/ folder in <root>
  hint: run in the repository root (or pass --root), and put definitions in container_definitions/<arch>/<name>.yaml
container_definitions/spacktainers.yaml: the site configuration container_definitions/spacktainers.yaml does not exist
  hint: create it with at least architectures.<arch> and spack (see the repository's sample container_definitions/spacktainers.yaml)
`,
  "architecture folder with no configured name close to it": `spacktainers-definitions: error: 1 problem found:
container_definitions/riscv64: folder container_definitions/riscv64/ is not a configured architecture (configured: amd64)
  hint: add architectures.riscv64 to container_definitions/spacktainers.yaml, or rename the folder to _riscv64 to switch it off
`,
  "architecture folder that is a symlink loop": `spacktainers-definitions: error: 1 problem found:
container_definitions/arm64: container_definitions/arm64 is a symlink loop; its definitions cannot be read
  hint: make it a real folder of the repository, or rename it to start with _ to switch it off
`,
  "Dockerfile.epilogue that is a folder": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x/Dockerfile.epilogue: this Dockerfile epilogue is a folder, not a file
`,
  "files entry whose folder holds a symlink to its parent": `spacktainers-definitions: error: 1 problem found:
container_definitions/amd64/x.yaml:5:7: files entry "files/app:/opt/app": folder "files/app" holds symlinks that loop back to a folder containing them: files/app/sub/up
  hint: remove those symlinks: copying or building the image would follow them without end
`,
};

describe("validate rejects malformed input with located messages and exit 2", () => {
  it("covers at least 25 cases, each with an expectation", () => {
    expect(MALFORMED_CASES.length).toBeGreaterThanOrEqual(25);
    expect(MALFORMED_CASES.map((c) => c.name)).toEqual(Object.keys(EXPECTED));
  });

  it.each(MALFORMED_CASES.map((c) => [c.name, c] as const))("%s", async (_name, testCase) => {
    const root = await writeCase(testCase);
    expect(await validateInProcess(root)).toEqual({ code: 2, stdout: "", stderr: EXPECTED[testCase.name] });
  });
});

describe("the real bin gives the same messages", () => {
  // A few cases through the spawned bin (each spawn costs about a second); the rest run in process.
  const THROUGH_BIN = [
    "YAML syntax error",
    "files entry through an escaping symlink",
    ".def without From:",
    "site config missing an architecture's fields",
  ];

  it.each(THROUGH_BIN)("%s", async (name) => {
    const root = await writeCase(MALFORMED_CASES.find((c) => c.name === name)!);
    const result = await runBin("definitions-parser", ["validate", "--root", root], { cleanEnv: true });
    expect({ ...result, stderr: result.stderr.split(root).join("<root>") }).toEqual({
      code: 2,
      stdout: "",
      stderr: EXPECTED[name],
    });
  });
});
