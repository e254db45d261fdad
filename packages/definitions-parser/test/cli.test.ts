import { runCli } from "@spacktainers/core";
import { REPO_ROOT, runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { cli } from "../src/cli.js";
import { BASE_TREE } from "./malformed-cases.js";

const D = "container_definitions/amd64";

/** A small repository with every form, copied files and an epilogue. */
const SAMPLE_TREE = {
  ...BASE_TREE,
  [`${D}/app/spack.yaml`]: "spack:\n  specs:\n    - 'py-app@2: +mpi ^mpich'\n",
  [`${D}/app/Dockerfile.epilogue`]: "RUN echo done\n",
  [`${D}/app/spacktainer.yaml`]: "files:\n  - files/app:/opt/app\n",
  [`${D}/store.def`]: `Bootstrap: docker\nFrom: registry.example.org:5050/ns/store@sha256:${"ab".repeat(32)}\n`,
  [`${D}/README.md`]: "notes\n",
  "container_definitions/_arm64/ok.yaml": "spack:\n  specs: [zlib]\n",
  "container_definitions/_ppc64le/old.yaml": "not: [valid\n",
};

async function runInProcess(argv: string[], env: Record<string, string> = {}, cwd = "/") {
  let stdout = "";
  let stderr = "";
  const code = await runCli(cli, argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    cwd,
  });
  return { code, stdout, stderr };
}

const normalise = (text: string, root: string) => text.split(root).join("<root>");

describe("spacktainers-definitions (real bin)", () => {
  it("validates the repository's own definitions", async () => {
    const result = await runBin("definitions-parser", ["validate", "--root", REPO_ROOT], { cleanEnv: true });
    expect(result).toEqual({
      code: 0,
      stdout: "",
      stderr: "spacktainers-definitions: valid: 7 containers over 2 architectures (amd64: 5, arm64: 2)\n",
    });
  });

  it("validate prints warnings and a summary; list prints a table", async () => {
    const root = await useTempDir(SAMPLE_TREE);
    // The working directory stays the repository (runBin loads tsx from there); CI_PROJECT_DIR
    // is the fallback of --root.
    const validate = await runBin("definitions-parser", ["validate"], {
      cleanEnv: true,
      env: { CI_PROJECT_DIR: root },
    });
    expect(normalise(validate.stderr, root)).toMatchInlineSnapshot(`
      "warning: container_definitions/amd64/README.md: README.md is ignored: a definition is <name>.yaml, <name>.def or a folder <name>/ with spack.yaml
      spacktainers-definitions: valid: 3 containers over 1 architecture (amd64: 3), 1 warning
      "
    `);
    const list = await runBin("definitions-parser", ["list", "--root", root], { cleanEnv: true });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatchInlineSnapshot(`
      "ARCH   NAME   KIND          MAIN PACKAGE / SOURCE IMAGE                                                                                 CHECKSUM      FILES  EPILOGUE  PATH
      amd64  app    spack/folder  py-app                                                                                                      dee9056750a8  1      yes       container_definitions/amd64/app/spack.yaml
      amd64  ok     spack/file    zlib                                                                                                        c06fbed70b32  -      -         container_definitions/amd64/ok.yaml
      amd64  store  custom/def    registry.example.org:5050/ns/store@sha256:abababababababababababababababababababababababababababababababab  9639b119621b  -      -         container_definitions/amd64/store.def
      "
    `);
  });

  it("list --json prints every field of each definition", async () => {
    const root = await useTempDir(SAMPLE_TREE);
    const result = await runBin("definitions-parser", ["list", "--json", "--arch", "amd64"], {
      cleanEnv: true,
      env: { CI_PROJECT_DIR: root },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchInlineSnapshot(`
      {
        "definitions": [
          {
            "arch": "amd64",
            "checksum": "dee9056750a8a18e26dc1db6d45e0cf46b7ebdb98eb7ec984e48f16fc6783d6c",
            "checksumInputs": [
              "container_definitions/amd64/app/Dockerfile.epilogue",
              "container_definitions/amd64/app/spack.yaml",
              "container_definitions/amd64/app/spacktainer.yaml",
              "files/app/run.sh",
            ],
            "epilogue": "RUN echo done
      ",
            "files": [
              {
                "source": "files/app",
                "target": "/opt/app",
                "type": "directory",
              },
            ],
            "form": "folder",
            "kind": "spack",
            "mainPackage": "py-app",
            "name": "app",
            "path": "container_definitions/amd64/app/spack.yaml",
            "spack": {
              "specs": [
                "py-app@2: +mpi ^mpich",
              ],
            },
            "specs": [
              "py-app@2: +mpi ^mpich",
            ],
            "strip": true,
          },
          {
            "arch": "amd64",
            "checksum": "c06fbed70b32f4f2c4da7aeb16683e9b2e968940a73250e1aa6774536c21d170",
            "checksumInputs": [
              "container_definitions/amd64/ok.yaml",
            ],
            "epilogue": null,
            "files": [],
            "form": "file",
            "kind": "spack",
            "mainPackage": "zlib",
            "name": "ok",
            "path": "container_definitions/amd64/ok.yaml",
            "spack": {
              "specs": [
                "zlib",
              ],
            },
            "specs": [
              "zlib",
            ],
            "strip": true,
          },
          {
            "arch": "amd64",
            "checksum": "9639b119621b6133a61b4d159081b13726a7f3fad7bf3e3e86a3130de98335ed",
            "checksumInputs": [
              "container_definitions/amd64/store.def",
            ],
            "form": "def",
            "kind": "custom",
            "name": "store",
            "path": "container_definitions/amd64/store.def",
            "source": {
              "digest": "sha256:abababababababababababababababababababababababababababababababab",
              "original": "registry.example.org:5050/ns/store@sha256:abababababababababababababababababababababababababababababababab",
              "registry": "registry.example.org:5050",
              "repository": "ns/store",
              "tag": "latest",
            },
            "text": "Bootstrap: docker
      From: registry.example.org:5050/ns/store@sha256:abababababababababababababababababababababababababababababababab
      ",
          },
        ],
        "warnings": [
          {
            "code": "FILE_IGNORED",
            "file": "container_definitions/amd64/README.md",
            "message": "README.md is ignored: a definition is <name>.yaml, <name>.def or a folder <name>/ with spack.yaml",
          },
        ],
      }
    `);
  });

  it("reports every problem of a broken repository at once, exit 2", async () => {
    const root = await useTempDir({
      ...BASE_TREE,
      [`${D}/a.yaml`]:
        "spack:\n  specs:\n    - '@1.2'\nspacktainer:\n  files:\n    - files/../secret.txt:/opt/s\n",
      [`${D}/b.def`]: "Bootstrap: docker\n%post\n  From: x\n",
      [`${D}/Bad.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/c/spack.yaml`]: "spack:\n  specs: [zlib]\n  speks: []\n",
    });
    const result = await runBin("definitions-parser", ["validate", "--root", root], { cleanEnv: true });
    expect(result.code).toBe(2);
    expect(normalise(result.stderr, root)).toMatchInlineSnapshot(`
      "spacktainers-definitions: error: 5 problems found:
      container_definitions/amd64/Bad.yaml: container name "Bad" is not allowed: it must match ^[a-z0-9][a-z0-9._-]*$ and hold no "__"
        hint: rename it using lowercase letters, digits, ".", "_" and "-", starting with a letter or digit; "__" separates the parts of tags and SIF names (e.g. "bad")
      container_definitions/amd64/a.yaml:3:7: spec "@1.2": the spec starts with "@1.2" instead of a package name; write the package first, e.g. "<package>@1.2"
        hint: the first spec names the container's main package (its version becomes the image version); write it as <package>[@version][+variant…], e.g. py-numpy@1.26+blas
      container_definitions/amd64/a.yaml:6:7: files entry "files/../secret.txt:/opt/s": source "files/../secret.txt" contains ".."; sources must stay under files/
        hint: write '<source>:<target>' with a source under files/ (relative to the repository root) and an absolute target, e.g. 'files/brayns/run.sh:/opt/brayns/run.sh'
      container_definitions/amd64/b.def:1:1: the header has no "From:" line, so there is no source image
        hint: add "From: <image>:<tag>" before the first %section, e.g. "From: bluebrain/nexus-storage:latest"
      container_definitions/amd64/c/spack.yaml:3:3: key "speks" is not allowed in spack
        hint: a top-level key of a Spack environment (specs, packages, concretizer, …)
      "
    `);
  });
});

describe("spacktainers-definitions (in process)", () => {
  it("list --arch rejects an unknown architecture", async () => {
    const root = await useTempDir(SAMPLE_TREE);
    expect(await runInProcess(["list", "--root", root, "--arch", "riscv64"])).toMatchInlineSnapshot(`
      {
        "code": 2,
        "stderr": "warning: container_definitions/amd64/README.md: README.md is ignored: a definition is <name>.yaml, <name>.def or a folder <name>/ with spack.yaml
      spacktainers-definitions: error: unknown architecture "riscv64" for --arch; configured: amd64
      ",
        "stdout": "",
      }
    `);
  });

  it("validate --json prints problems and warnings as data", async () => {
    const root = await useTempDir({ ...BASE_TREE, [`${D}/x.def`]: "Bootstrap: docker\n" });
    const result = await runInProcess(["validate", "--json"], { CI_PROJECT_DIR: root });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchInlineSnapshot(`
      {
        "containers": 1,
        "problems": [
          {
            "code": "DEF_INVALID",
            "col": 1,
            "file": "container_definitions/amd64/x.def",
            "hint": "add "From: <image>:<tag>" before the first %section, e.g. "From: bluebrain/nexus-storage:latest"",
            "line": 1,
            "message": "the header has no "From:" line, so there is no source image",
          },
        ],
        "valid": false,
        "warnings": [],
      }
    `);
  });

  it("resolves --root against the working directory", async () => {
    const root = await useTempDir(SAMPLE_TREE);
    const result = await runInProcess(["validate", "--root", "."], {}, root);
    expect({ code: result.code, last: result.stderr.trimEnd().split("\n").pop() }).toEqual({
      code: 0,
      last: "spacktainers-definitions: valid: 3 containers over 1 architecture (amd64: 3), 1 warning",
    });
  });

  it("prints help", async () => {
    expect((await runInProcess(["list", "--help"])).stdout).toMatchInlineSnapshot(`
      "Usage: spacktainers-definitions list [--root DIR] [--arch ARCH] [--json]

      print the parsed container definitions (a table, or JSON with --json)

      Options:
            --root DIR   repository root holding container_definitions/ and files/ (env CI_PROJECT_DIR)
            --json       machine-readable result on stdout
            --arch ARCH  only this architecture
        -h, --help       show this help

      Prints one row per container and architecture: name, arch, kind/form, main package or
      source image, checksum, copied files and epilogue. --json prints {definitions, warnings}
      with every field of each definition. Invalid definitions make it exit 2 like validate.

      Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 partly done.
      "
    `);
  });
});
