import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseYaml, type SpackContainerDefinition } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { runBin, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { buildSpackEnvironment } from "../src/index.js";
import { FIXTURE_REPO, FIXTURES } from "./helpers.js";

const BRANCH_ENV = {
  CI: "true",
  CI_COMMIT_REF_NAME: "feature/New-Arch",
  CI_COMMIT_REF_SLUG: "feature-new-arch",
  CI_DEFAULT_BRANCH: "main",
  CI_COMMIT_SHA: "89abcdef0123456789abcdef0123456789abcdef",
  CI_PROJECT_URL: "https://gitlab.example.org/hpc/spacktainers",
  CI_REGISTRY_IMAGE: "registry.example.org:5050/hpc/spacktainers",
  SPACKTAINERS_NOW: "2026-11-28T12:00:00Z",
};
const PROD_ENV = { ...BRANCH_ENV, CI_COMMIT_REF_NAME: "main", CI_COMMIT_REF_SLUG: "main" };
/** The parts of a written spack.yaml these tests read. */
type Written = {
  spack: {
    specs: string[];
    packages: Record<string, { require?: unknown; providers?: unknown }> & {
      all: { require: string[]; providers?: unknown };
    };
    concretizer: unknown;
    mirrors: Record<string, { url: string }>;
    ci: { "pipeline-gen": Array<Record<string, { image: { name: string } }>> };
  };
};

const BUILDER = "registry.example.org:5050/hpc/spacktainers/builder:0123456789ab";

/** A copy of the fixture repository, plus a container whose main package is in the 1.0.2 lock. */
async function fixtureRepo(extra: Record<string, string> = {}): Promise<string> {
  const root = await useTempDir({});
  await cp(FIXTURE_REPO, root, { recursive: true });
  await cp(join(FIXTURES, "locks"), join(root, "locks"), { recursive: true });
  const files: Record<string, string> = {
    "container_definitions/amd64/zlib.yaml": "spack:\n  specs:\n    - zlib\n    - bzip2\n",
    "container_definitions/arm64/bzip2.yaml":
      "spack:\n  specs:\n    - bzip2 arch=linux-ubuntu22.04-neoverse_v1\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return root;
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Runs the bin on the repository at `root`. It runs from the monorepo (runBin's `--import tsx`
 * resolves tsx from the working directory), so `--out`/`--lock` are made absolute and `--root`
 * is given; `<root>` replaces the temp path in the output.
 */
async function run(root: string, args: string[], env: Record<string, string> = BRANCH_ENV) {
  const absolute = args.map((arg, index) =>
    ["--out", "--lock"].includes(args[index - 1] ?? "") ? join(root, arg) : arg,
  );
  const result = await runBin("spack-env-builder", [...absolute, "--root", root], { cleanEnv: true, env });
  return {
    ...result,
    stdout: result.stdout.replaceAll(root, "<root>"),
    stderr: result.stderr.replaceAll(root, "<root>"),
  };
}

describe("spacktainers-spack-env write", () => {
  it("writes one spack.yaml per Spack container that parses back to the expected merge", async () => {
    const root = await fixtureRepo();
    const result = await run(root, ["write", "--arch", "amd64", "--out", "envs", "--builder-image", BUILDER]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatchInlineSnapshot(`
      "warning: container_definitions/spacktainers.yaml:54:20: packages:all:require "%BASE_ARCH%" is the original tool's placeholder; spacktainers writes architectures.amd64.spack_requirement there itself
        hint: remove the placeholder from the template
      spacktainers-spack-env: wrote 14 environments for amd64 to <root>/envs
      "
    `);
    const written = await listFiles(join(root, "envs"));
    expect(written).toEqual(
      result.stdout
        .trim()
        .split("\n")
        .map((line) => line.slice("<root>/envs/".length))
        .sort(),
    );
    const { definitions, config } = await loadDefinitions({ root });
    const spack = definitions.filter(
      (d): d is SpackContainerDefinition => d.kind === "spack" && d.arch === "amd64",
    );
    expect(written).toEqual(spack.map((d) => `amd64/${d.name}/spack.yaml`).sort());
    for (const definition of spack) {
      const text = await readFile(join(root, "envs/amd64", definition.name, "spack.yaml"), "utf8");
      const parsed = parseYaml({ text, file: "spack.yaml" }).value as Written;
      const expected = await buildSpackEnvironment({
        definition,
        config: config!,
        context: { isProd: false },
        builderImage: BUILDER,
      });
      expect(parsed).toEqual(expected.environment);
      // The merge itself: the definition's specs, its packages, the template, the arch.
      expect(parsed.spack.specs).toEqual(definition.specs);
      for (const [name, settings] of Object.entries(
        (definition.spack.packages ?? {}) as Record<string, { providers?: unknown }>,
      )) {
        if (name === "all") expect(parsed.spack.packages.all.providers).toEqual(settings.providers);
        else expect(parsed.spack.packages[name]).toEqual(settings);
      }
      expect(parsed.spack.packages.all.require[0]).toBe("%gcc@12 target=x86_64_v3");
      expect(parsed.spack.packages.mpfr).toEqual({ require: "@4.1.0:" });
      expect(parsed.spack.concretizer).toEqual({
        unify: true,
        reuse: false,
        targets: { granularity: "generic" },
      });
      expect(parsed.spack.mirrors["buildcache-destination"]?.url).toBe("s3://spack-build-cache");
      expect(parsed.spack.ci["pipeline-gen"][0]?.["any-job"]?.image.name).toBe(BUILDER);
    }
  });

  it("writes one container, with the prod bucket on the default branch", async () => {
    const root = await fixtureRepo();
    const result = await run(
      root,
      ["write", "--arch", "arm64", "--container", "bzip2", "--out", "envs", "--json"],
      PROD_ENV,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).files).toEqual(["<root>/envs/arm64/bzip2/spack.yaml"]);
    const text = await readFile(join(root, "envs/arm64/bzip2/spack.yaml"), "utf8");
    const parsed = parseYaml({ text, file: "x" }).value as Written;
    expect(parsed.spack.ci["pipeline-gen"][0]).toEqual({
      "any-job": {
        // The default builder image keeps GitLab's variable for GitLab to expand.
        image: { name: `$\{CI_REGISTRY_IMAGE}/builder:latest`, entrypoint: [""] },
        tags: ["aws", "graviton"],
      },
    });
  });

  it("writes nothing when one definition conflicts with the template, and locates the conflict in both files", async () => {
    const root = await fixtureRepo({
      "container_definitions/amd64/zz-conflict.yaml":
        "spack:\n  specs:\n    - zlib\n  concretizer:\n    unify: false\n",
    });
    const result = await run(root, ["write", "--arch", "amd64", "--out", "envs"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatchInlineSnapshot(`
      "spacktainers-spack-env: error: 1 problem found:
      container_definitions/amd64/zz-conflict.yaml:5:12: spack.concretizer.unify is false in container_definitions/amd64/zz-conflict.yaml but true in the site template (container_definitions/spacktainers.yaml:58:16); spacktainers cannot merge them
        hint: remove spack.concretizer.unify from one of them, or write it as "unify::" in the definition to replace the template's value
      "
    `);
    expect(await listFiles(join(root, "envs"))).toEqual([]);
  });

  it("exits 2 on an unknown architecture, an unknown container and a custom container", async () => {
    const root = await fixtureRepo();
    const unknownArch = await run(root, ["write", "--arch", "riscv64", "--out", "envs"]);
    const unknownContainer = await run(root, [
      "write",
      "--arch",
      "amd64",
      "--container",
      "nope",
      "--out",
      "envs",
    ]);
    const custom = await run(root, [
      "write",
      "--arch",
      "amd64",
      "--container",
      "nexus-storage",
      "--out",
      "envs",
    ]);
    const noOut = await run(root, ["write", "--arch", "amd64"]);
    expect(
      [unknownArch, unknownContainer, custom, noOut].map(({ code, stderr }) => ({ code, stderr })),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      container_definitions/spacktainers.yaml: architecture "riscv64" is not configured; configured: amd64, arm64
        hint: add architectures.riscv64 to container_definitions/spacktainers.yaml, or pick a configured one
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      container_definitions/amd64: there is no container "nope" for amd64; containers: appositionizer, brain-indexer, brainbuilder, brayns, connectome-manipulator, functionalizer, multiscale-run, neurodamus-hippocampus, neurodamus-neocortex, neurodamus-neocortex-multiscale, neurodamus-thalamus, nexus-storage, system-benchmarks, touchdetector, zlib
        hint: define it as container_definitions/amd64/nope.yaml (or nope/spack.yaml, or nope.def)
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      container_definitions/amd64/nexus-storage.def: container "nexus-storage" is a custom (.def) container; it has no Spack environment
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: --out is required
      ",
        },
      ]
    `);
    expect(await listFiles(join(root, "envs"))).toEqual([]);
  });
});

describe("spacktainers-spack-env describe", () => {
  it("prints a container's identity from its lock (text and --json)", async () => {
    const root = await fixtureRepo();
    const args = [
      "describe",
      "--arch",
      "amd64",
      "--container",
      "zlib",
      "--lock",
      "locks/1.0.2-env-small-x86_64.lock",
    ];
    const text = await run(root, args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatchInlineSnapshot(`
      "name: zlib
      arch: amd64
      kind: spack
      version: 1.3.1
      mainPackage: zlib
      mainPackageHash: urgqqorkp4r5f7e45pnzh7vwjyum7lp4
      tag: 1.3.1__feature-new-arch
      repository: registry.example.org:5050/hpc/spacktainers/zlib
      image: registry.example.org:5050/hpc/spacktainers/zlib:1.3.1__feature-new-arch
      sifFileName: zlib__1.3.1__feature-new-arch.sif
      sifBucket: sboinfrastructureassets-sandbox
      sifObjectKey: containers/zlib__1.3.1__feature-new-arch.sif
      sifUrl: s3://sboinfrastructureassets-sandbox/containers/zlib__1.3.1__feature-new-arch.sif
      containerChecksum: eb16e07a9ac23535a5eba21a40d134466485539de095e6ef3fafe196d9e76a38
      lockSha256: c31b6fa15f7ecc3a897652d66e43c114e6ff3c7aef2aff9b35006deec0321921
      spackCommit: 5efd8eea1b8ea701074d72372a4acf0a972d736b
      sifMetadata:
        container-checksum: eb16e07a9ac23535a5eba21a40d134466485539de095e6ef3fafe196d9e76a38
        spack-lock-sha256: c31b6fa15f7ecc3a897652d66e43c114e6ff3c7aef2aff9b35006deec0321921
      labels:
        ch.epfl.bbpgitlab.container_checksum: eb16e07a9ac23535a5eba21a40d134466485539de095e6ef3fafe196d9e76a38
        ch.epfl.bbpgitlab.singularity_version: 4.0.2
        ch.epfl.bbpgitlab.spack_commit: 5efd8eea1b8ea701074d72372a4acf0a972d736b
        ch.epfl.bbpgitlab.spack_lock_sha256: c31b6fa15f7ecc3a897652d66e43c114e6ff3c7aef2aff9b35006deec0321921
        org.opencontainers.image.created: 2026-11-28T12:00:00.000Z
        org.opencontainers.image.revision: 89abcdef0123456789abcdef0123456789abcdef
        org.opencontainers.image.source: https://gitlab.example.org/hpc/spacktainers
        org.opencontainers.image.title: zlib
        org.opencontainers.image.version: 1.3.1
      "
    `);
    const json = await run(
      root,
      [
        "describe",
        "--arch",
        "arm64",
        "--container",
        "bzip2",
        "--lock",
        "locks/1.0.2-env-aarch64-neoverse_v1.lock",
        "--json",
      ],
      PROD_ENV,
    );
    expect(json.code).toBe(0);
    const identity = JSON.parse(json.stdout);
    expect([identity.version, identity.tag, identity.image, identity.sifObjectKey]).toEqual([
      "1.0.8",
      "1.0.8-arm64",
      "registry.example.org:5050/hpc/spacktainers/bzip2:1.0.8-arm64",
      "containers/arm64/bzip2__1.0.8-arm64.sif",
    ]);
  });

  it("exits 2 with a located message on a bad lock", async () => {
    const root = await fixtureRepo({
      "locks/v3.lock":
        '{"_meta": {"file-type": "spack-lockfile", "lockfile-version": 3}, "roots": [], "concrete_specs": {}}\n',
      "locks/broken.lock": '{"_meta": {\n',
    });
    const describe = (lock: string, container = "zlib") =>
      run(root, ["describe", "--arch", "amd64", "--container", container, "--lock", lock]);
    const results = await Promise.all([
      describe("locks/missing.lock"),
      describe("locks/v3.lock"),
      describe("locks/broken.lock"),
      describe("locks/1.0.2-env-hdf5-x86_64.lock"),
      describe("locks/1.0.2-env-small-x86_64.lock", "brayns"),
    ]);
    expect(results.map(({ code, stderr }) => ({ code, stderr }))).toMatchInlineSnapshot(`
      [
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      <root>/locks/missing.lock: the lockfile does not exist
        hint: give the spack.lock written by \`spack concretize\` for this container and architecture
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      <root>/locks/v3.lock:1:63: unsupported lockfile-version 3; supported: 4, 5, 6 (Spack 0.19 to 1.x)
        hint: concretize the environment again with a supported Spack
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      <root>/locks/broken.lock:2:1: not a Spack lockfile: the file is not valid JSON (Expected property name or '}' in JSON at position 12)
        hint: give the spack.lock written by \`spack concretize\`
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      <root>/locks/1.0.2-env-hdf5-x86_64.lock: container "zlib" (container_definitions/amd64/zlib.yaml): its main package "zlib" is not a root of this lock; roots found: hdf5~mpi, cmake~ownlibs
        hint: give the spack.lock concretized from this container's environment
      ",
        },
        {
          "code": 2,
          "stderr": "spacktainers-spack-env: error: 1 problem found:
      <root>/locks/1.0.2-env-small-x86_64.lock: container "brayns" (container_definitions/amd64/brayns/spack.yaml): its main package "brayns" is not a root of this lock; roots found: zlib, libiconv, fixture-app+extra, xz, bzip2
        hint: give the spack.lock concretized from this container's environment
      ",
        },
      ]
    `);
  });

  it("exits 2 naming every missing or bad flag at once", async () => {
    const root = await fixtureRepo();
    const result = await run(root, ["describe", "--now", "yesterday"]);
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'spacktainers-spack-env: error: --arch is required; --container is required; --now: takes an ISO 8601 date such as 2026-01-31T12:00:00Z, got "yesterday"\n',
    });
  });
});
