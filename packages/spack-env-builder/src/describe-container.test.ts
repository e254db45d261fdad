import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  baseImageLabels,
  describeContainer,
  InputInvalidError,
  LABELS,
  parseSpackLock,
} from "@spacktainers/core";
import { describe, expect, it } from "vitest";
import {
  branchContext,
  customDefinition,
  FIXTURES,
  fixtureConfig,
  prodContext,
  spackDefinition,
} from "../test/helpers.js";

const { config } = fixtureConfig();
const lockOf = (name: string) =>
  parseSpackLock({ text: readFileSync(join(FIXTURES, "locks", name), "utf8"), file: `locks/${name}` });

async function problemsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (InputInvalidError.isInstance(error)) return error.problems;
    throw error;
  }
  throw new Error("expected an InputInvalidError");
}

// Written by hand from the lockfiles (copied into __fixtures__/), not computed.
const CASES = [
  { lock: "0.19.0-ci-generate-empty-mirror.lock", specs: ["zlib", "bzip2"], version: "1.2.13" },
  {
    lock: "0.19.0-env-aarch64-neoverse_v1.lock",
    specs: ["xz arch=linux-ubuntu22.04-neoverse_v1"],
    version: "5.2.7",
  },
  { lock: "0.19.0-env-hdf5-x86_64.lock", specs: ["hdf5~mpi", "cmake~ownlibs"], version: "1.12.2" },
  { lock: "0.19.0-env-small-x86_64.lock", specs: ["fixture-app+extra"], version: "2.0" },
  { lock: "0.23.1-ci-generate-empty-mirror.lock", specs: ["zlib@1.2.13"], version: "1.2.13" },
  { lock: "0.23.1-env-small-x86_64.lock", specs: ["xz"], version: "5.4.6" },
  { lock: "1.0.2-ci-generate-empty-mirror.lock", specs: ["fixture-hello"], version: "1.0" },
  {
    lock: "1.0.2-env-aarch64-neoverse_v1.lock",
    specs: ["bzip2 arch=linux-ubuntu22.04-neoverse_v1"],
    version: "1.0.8",
  },
  { lock: "1.0.2-env-hdf5-x86_64.lock", specs: ["cmake~ownlibs"], version: "3.31.8" },
  { lock: "1.0.2-env-small-x86_64.lock", specs: ["zlib"], version: "1.3.1" },
] as const;

describe("describeContainer on every real lockfile", () => {
  it("gives the main package's version and the tag under prod and branch contexts, amd64 and arm64", async () => {
    const rows: string[] = [];
    for (const { lock: file, specs, version } of CASES) {
      const lock = lockOf(file);
      for (const arch of ["amd64", "arm64"]) {
        const definition = spackDefinition({ name: "app", arch, spack: { specs: [...specs] } });
        const prod = await describeContainer({ definition, lock, context: prodContext(), config });
        const branch = await describeContainer({ definition, lock, context: branchContext(), config });
        expect([prod.version, branch.version]).toEqual([version, version]);
        rows.push(`${file} ${arch}: ${prod.tag} | ${branch.tag}`);
      }
    }
    expect(rows).toMatchInlineSnapshot(`
      [
        "0.19.0-ci-generate-empty-mirror.lock amd64: 1.2.13 | 1.2.13__feature-new-arch",
        "0.19.0-ci-generate-empty-mirror.lock arm64: 1.2.13-arm64 | 1.2.13__feature-new-arch-arm64",
        "0.19.0-env-aarch64-neoverse_v1.lock amd64: 5.2.7 | 5.2.7__feature-new-arch",
        "0.19.0-env-aarch64-neoverse_v1.lock arm64: 5.2.7-arm64 | 5.2.7__feature-new-arch-arm64",
        "0.19.0-env-hdf5-x86_64.lock amd64: 1.12.2 | 1.12.2__feature-new-arch",
        "0.19.0-env-hdf5-x86_64.lock arm64: 1.12.2-arm64 | 1.12.2__feature-new-arch-arm64",
        "0.19.0-env-small-x86_64.lock amd64: 2.0 | 2.0__feature-new-arch",
        "0.19.0-env-small-x86_64.lock arm64: 2.0-arm64 | 2.0__feature-new-arch-arm64",
        "0.23.1-ci-generate-empty-mirror.lock amd64: 1.2.13 | 1.2.13__feature-new-arch",
        "0.23.1-ci-generate-empty-mirror.lock arm64: 1.2.13-arm64 | 1.2.13__feature-new-arch-arm64",
        "0.23.1-env-small-x86_64.lock amd64: 5.4.6 | 5.4.6__feature-new-arch",
        "0.23.1-env-small-x86_64.lock arm64: 5.4.6-arm64 | 5.4.6__feature-new-arch-arm64",
        "1.0.2-ci-generate-empty-mirror.lock amd64: 1.0 | 1.0__feature-new-arch",
        "1.0.2-ci-generate-empty-mirror.lock arm64: 1.0-arm64 | 1.0__feature-new-arch-arm64",
        "1.0.2-env-aarch64-neoverse_v1.lock amd64: 1.0.8 | 1.0.8__feature-new-arch",
        "1.0.2-env-aarch64-neoverse_v1.lock arm64: 1.0.8-arm64 | 1.0.8__feature-new-arch-arm64",
        "1.0.2-env-hdf5-x86_64.lock amd64: 3.31.8 | 3.31.8__feature-new-arch",
        "1.0.2-env-hdf5-x86_64.lock arm64: 3.31.8-arm64 | 3.31.8__feature-new-arch-arm64",
        "1.0.2-env-small-x86_64.lock amd64: 1.3.1 | 1.3.1__feature-new-arch",
        "1.0.2-env-small-x86_64.lock arm64: 1.3.1-arm64 | 1.3.1__feature-new-arch-arm64",
      ]
    `);
  });

  it("describes a Spack container completely", async () => {
    const definition = spackDefinition({
      name: "neurodamus-hippocampus",
      arch: "arm64",
      spack: { specs: ["bzip2"] },
      checksum: "a1".repeat(32),
    });
    expect(
      await describeContainer({
        definition,
        lock: lockOf("1.0.2-env-aarch64-neoverse_v1.lock"),
        context: branchContext(),
        config,
        baseImages: { builder: `sha256:${"b".repeat(64)}`, runtime: `sha256:${"e".repeat(64)}` },
      }),
    ).toMatchInlineSnapshot(`
      {
        "arch": "arm64",
        "containerChecksum": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        "image": "registry.example.org:5050/hpc/spacktainers/neurodamus-hippocampus:1.0.8__feature-new-arch-arm64",
        "kind": "spack",
        "labels": {
          "ch.epfl.bbpgitlab.builder_image_digest": "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
          "ch.epfl.bbpgitlab.container_checksum": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
          "ch.epfl.bbpgitlab.runtime_image_digest": "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
          "ch.epfl.bbpgitlab.singularity_version": "4.0.2",
          "ch.epfl.bbpgitlab.spack_commit": "5efd8eea1b8ea701074d72372a4acf0a972d736b",
          "ch.epfl.bbpgitlab.spack_lock_sha256": "ec1a5cde30b98b2ed5fb825dc860adf25e226fe06de74b124f098fe81b2edbe5",
          "org.opencontainers.image.created": "2026-11-28T12:00:00.000Z",
          "org.opencontainers.image.revision": "89abcdef0123456789abcdef0123456789abcdef",
          "org.opencontainers.image.source": "https://gitlab.example.org/hpc/spacktainers",
          "org.opencontainers.image.title": "neurodamus-hippocampus",
          "org.opencontainers.image.version": "1.0.8",
        },
        "lockSha256": "ec1a5cde30b98b2ed5fb825dc860adf25e226fe06de74b124f098fe81b2edbe5",
        "mainPackage": "bzip2",
        "mainPackageHash": "hanrf5xusadq76vnfda4lnlet2ymkhao",
        "name": "neurodamus-hippocampus",
        "repository": "registry.example.org:5050/hpc/spacktainers/neurodamus-hippocampus",
        "sifBucket": "sboinfrastructureassets-sandbox",
        "sifFileName": "neurodamus-hippocampus__1.0.8__feature-new-arch-arm64.sif",
        "sifMetadata": {
          "container-checksum": "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
          "spack-lock-sha256": "ec1a5cde30b98b2ed5fb825dc860adf25e226fe06de74b124f098fe81b2edbe5",
        },
        "sifObjectKey": "containers/arm64/neurodamus-hippocampus__1.0.8__feature-new-arch-arm64.sif",
        "sifUrl": "s3://sboinfrastructureassets-sandbox/containers/arm64/neurodamus-hippocampus__1.0.8__feature-new-arch-arm64.sif",
        "spackCommit": "5efd8eea1b8ea701074d72372a4acf0a972d736b",
        "tag": "1.0.8__feature-new-arch-arm64",
        "version": "1.0.8",
      }
    `);
  });

  it("takes the Spack commit from the options when a v4 lock does not record it", async () => {
    const definition = spackDefinition({ name: "app", spack: { specs: ["hdf5~mpi"] } });
    const identity = await describeContainer({
      definition,
      lock: lockOf("0.19.0-env-hdf5-x86_64.lock"),
      context: prodContext(),
      config,
      spackCommit: "a86911246a8c",
    });
    expect([identity.spackCommit, identity.labels["ch.epfl.bbpgitlab.spack_commit"], identity.image]).toEqual(
      ["a86911246a8c", "a86911246a8c", "registry.example.org:5050/hpc/spacktainers/app:1.12.2"],
    );
  });

  it("describes a custom container without a lock", async () => {
    const definition = customDefinition({
      name: "nexus-storage",
      source: {
        repository: "bluebrain/nexus-storage",
        tag: "v1.9.0",
        digest: `sha256:${"f".repeat(64)}`,
        original: "bluebrain/nexus-storage:v1.9.0",
      },
    });
    expect(await describeContainer({ definition, context: prodContext(), config })).toMatchInlineSnapshot(`
      {
        "arch": "amd64",
        "containerChecksum": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
        "image": "registry.example.org:5050/hpc/spacktainers/nexus-storage:v1.9.0__amd64",
        "kind": "custom",
        "labels": {
          "ch.epfl.bbpgitlab.container_checksum": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
          "ch.epfl.bbpgitlab.singularity_version": "4.0.2",
          "org.opencontainers.image.created": "2026-11-28T12:00:00.000Z",
          "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
          "org.opencontainers.image.source": "https://gitlab.example.org/hpc/spacktainers",
          "org.opencontainers.image.title": "nexus-storage",
          "org.opencontainers.image.version": "v1.9.0",
        },
        "name": "nexus-storage",
        "repository": "registry.example.org:5050/hpc/spacktainers/nexus-storage",
        "sifBucket": "sboinfrastructureassets",
        "sifFileName": "nexus-storage__v1.9.0__amd64.sif",
        "sifMetadata": {
          "container-checksum": "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
          "digest": "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        },
        "sifObjectKey": "containers/nexus-storage__v1.9.0__amd64.sif",
        "sifUrl": "s3://sboinfrastructureassets/containers/nexus-storage__v1.9.0__amd64.sif",
        "tag": "v1.9.0__amd64",
        "version": "v1.9.0",
      }
    `);
    expect(
      (await describeContainer({ definition, context: branchContext(), config, arch: "arm64" })).tag,
    ).toBe("v1.9.0__feature-new-arch__arm64");
  });

  it("names the container and the roots found when the main package is not a root", async () => {
    const definition = spackDefinition({ name: "brayns", spack: { specs: ["brayns", "py-brayns"] } });
    expect(
      await problemsOf(
        describeContainer({
          definition,
          lock: lockOf("1.0.2-env-small-x86_64.lock"),
          context: prodContext(),
          config,
        }),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_ROOT_MISSING",
          "file": "locks/1.0.2-env-small-x86_64.lock",
          "hint": "give the spack.lock concretized from this container's environment",
          "message": "container "brayns" (container_definitions/amd64/brayns.yaml): its main package "brayns" is not a root of this lock; roots found: zlib, libiconv, fixture-app+extra, xz, bzip2",
        },
      ]
    `);
    expect(
      await problemsOf(
        describeContainer({
          definition,
          lock: lockOf("spackitor-no-roots.lock"),
          context: prodContext(),
          config,
        }),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_ROOT_MISSING",
          "file": "locks/spackitor-no-roots.lock",
          "hint": "give the spack.lock concretized from this container's environment",
          "message": "container "brayns" (container_definitions/amd64/brayns.yaml): its main package "brayns" is not a root of this lock; roots found: none",
        },
      ]
    `);
  });

  it("refuses a Spack container without a lock and an unknown arch", async () => {
    const definition = spackDefinition({ name: "app", spack: { specs: ["zlib"] } });
    expect(
      await problemsOf(describeContainer({ definition, context: prodContext(), config })),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_MISSING",
          "file": "container_definitions/amd64/app.yaml",
          "message": "container "app" is built from a Spack environment and needs its spack.lock to be described",
        },
      ]
    `);
    expect(
      await problemsOf(
        describeContainer({
          definition,
          lock: lockOf("1.0.2-env-small-x86_64.lock"),
          context: prodContext(),
          config,
          arch: "ppc64le",
        }),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "ARCH_UNKNOWN",
          "file": "container_definitions/amd64/app.yaml",
          "message": "architecture "ppc64le" is not configured (configured: amd64, arm64)",
        },
      ]
    `);
  });
});

it("singularity_version is apptainer's version when the site names both, as on the singularitah image", async () => {
  const both = { ...config, versions: { ...config.versions, apptainer: "1.3.4", singularity: "4.0.2" } };
  const definition = customDefinition({ name: "nexus" });
  const identity = await describeContainer({ definition, context: prodContext(), config: both });
  const label = `${both.registry.label_prefix}${LABELS.singularityVersion}`;
  const singularitah = baseImageLabels({
    name: "singularitah",
    labelPrefix: both.registry.label_prefix,
    checksum: "c".repeat(64),
    versions: both.versions,
  });
  expect([identity.labels[label], singularitah[label]]).toEqual(["1.3.4", "1.3.4"]);
  const onlySingularity = await describeContainer({ definition, context: prodContext(), config });
  expect(onlySingularity.labels[label]).toBe("4.0.2");
});
