import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { baseImageLabels } from "@spacktainers/core";
import {
  type OciRegistry,
  type PushedMultiArchImage,
  pushMultiArchImage,
  pushTestImage,
  type S3Server,
  startDockerHubDouble,
  startOciRegistry,
  startS3Server,
  useTempDir,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decideCustomContainer } from "../src/decide-custom-container.js";
import { decideDockerHubPush } from "../src/decide-docker-hub-push.js";
import { decideBaseImage, decideImage, decideSpackContainer } from "../src/decide-image.js";
import { decideSifUpload } from "../src/decide-sif-upload.js";
import { createRegistryClient, type RegistryClient } from "../src/registry-client.js";
import { uploadSif } from "../src/upload-sif.js";

const P = "ch.epfl.bbpgitlab.";
const BUILDER = `sha256:${"b".repeat(64)}`;
const RUNTIME = `sha256:${"1".repeat(64)}`;

let registry: OciRegistry;
let s3server: S3Server;
let s3: S3Client;
let client: RegistryClient;
let base: PushedMultiArchImage;
let custom: PushedMultiArchImage;

const containerLabels = {
  [`${P}container_checksum`]: "c".repeat(64),
  [`${P}spack_lock_sha256`]: "d".repeat(64),
};

beforeAll(async () => {
  [registry, s3server] = await Promise.all([startOciRegistry(), startS3Server({ buckets: ["sifs"] })]);
  s3 = s3server.client();
  client = createRegistryClient({ plainHttp: [registry.host] });
  base = await pushMultiArchImage({
    registry: registry.host,
    repository: "spacktainers/builder",
    tag: "0123456789ab",
    labels: baseImageLabels({
      name: "builder",
      labelPrefix: P,
      checksum: "e".repeat(64),
      spackCommit: "abc123",
    }),
  });
  await pushTestImage({
    registry: registry.host,
    repository: "spacktainers/brayns",
    tag: "3.2.0",
    labels: {
      ...containerLabels,
      [`${P}builder_image_digest`]: BUILDER,
      [`${P}runtime_image_digest`]: RUNTIME,
    },
  });
  custom = await pushMultiArchImage({
    registry: registry.host,
    repository: "bluebrain/nexus-storage",
    tag: "latest",
  });
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await client?.close();
  await Promise.all([registry?.stop(), s3server?.stop()]);
});

describe("base images", () => {
  const expected = baseImageLabels({
    name: "builder",
    labelPrefix: P,
    checksum: "e".repeat(64),
    spackCommit: "abc123",
  });

  test("skip when every arch carries the checksum and spack commit", async () => {
    expect(
      await decideImage({ client, image: base.reference, arches: ["amd64", "arm64"], labels: expected }),
    ).toEqual({ action: "skip", reason: `${base.reference} is up to date (amd64, arm64)` });
  });

  test("build when the spack commit moved", async () => {
    expect(
      await decideImage({
        client,
        image: base.reference,
        arches: ["amd64"],
        labels: { ...expected, [`${P}spack_commit`]: "fff999" },
      }),
    ).toEqual({
      action: "build",
      reason: `${base.reference} (amd64): label ${P}spack_commit is abc123, expected fff999`,
    });
  });

  test("build when a tool-version label is missing, or an arch is missing", async () => {
    const singularitah = baseImageLabels({
      name: "singularitah",
      labelPrefix: P,
      checksum: "e".repeat(64),
      versions: { apptainer: "1.3.6" },
    });
    expect(
      await decideImage({ client, image: base.reference, arches: ["amd64"], labels: singularitah }),
    ).toEqual({
      action: "build",
      reason: `${base.reference} (amd64): label ${P}singularity_version missing (expected 1.3.6)`,
    });
    expect(
      await decideImage({ client, image: base.reference, arches: ["amd64", "ppc64le"], labels: expected }),
    ).toEqual({
      action: "build",
      reason: `${base.reference} has no linux/ppc64le image (index lists: linux/amd64, linux/arm64)`,
    });
  });

  test("decideBaseImage: from the base image identity and the current Spack commit", async () => {
    const options = {
      client,
      base: { name: "builder" as const, checksum: "e".repeat(64) },
      image: base.reference,
      arches: ["amd64", "arm64"],
      labelPrefix: P,
    };
    expect(await decideBaseImage({ ...options, spackCommit: "abc123" })).toEqual({
      action: "skip",
      reason: `${base.reference} is up to date (amd64, arm64)`,
    });
    expect(
      await decideBaseImage({ ...options, base: { name: "builder", checksum: "f".repeat(64) } }),
    ).toEqual({
      action: "build",
      reason: `${base.reference} (amd64): label ${P}container_checksum is ${"e".repeat(64)}, expected ${"f".repeat(64)}`,
    });
  });

  test("offline: build, not checked", async () => {
    expect(
      await decideImage({
        offline: true,
        client,
        image: base.reference,
        arches: ["amd64"],
        labels: expected,
      }),
    ).toEqual({
      action: "build",
      reason: "not checked (offline)",
    });
  });
});

describe("Spack containers", () => {
  const container = { image: `${"REGISTRY"}/spacktainers/brayns:3.2.0`, labels: containerLabels };
  // The OCI `created` label changes every pipeline: it must not trigger a rebuild.
  const at = () => ({
    image: container.image.replace("REGISTRY", registry.host),
    labels: { ...container.labels, "org.opencontainers.image.created": "2031-01-01T00:00:00.000Z" },
  });

  test("skip when checksum, lock and base digests match", async () => {
    expect(
      await decideSpackContainer({
        client,
        container: at(),
        arch: "amd64",
        labelPrefix: P,
        baseImages: { builder: BUILDER, runtime: RUNTIME },
      }),
    ).toEqual({ action: "skip", reason: `${at().image} is up to date (amd64)` });
  });

  test("build when the lock changed, when the runtime moved, when a base is rebuilt, when absent", async () => {
    const decide = (overrides: Partial<Parameters<typeof decideSpackContainer>[0]>) =>
      decideSpackContainer({
        client,
        container: at(),
        arch: "amd64",
        labelPrefix: P,
        baseImages: { builder: BUILDER, runtime: RUNTIME },
        ...overrides,
      });
    expect(
      await decide({
        container: { ...at(), labels: { ...containerLabels, [`${P}spack_lock_sha256`]: "0".repeat(64) } },
      }),
    ).toEqual({
      action: "build",
      reason: `${at().image} (amd64): label ${P}spack_lock_sha256 is ${"d".repeat(64)}, expected ${"0".repeat(64)}`,
    });
    expect(await decide({ baseImages: { builder: BUILDER, runtime: `sha256:${"2".repeat(64)}` } })).toEqual({
      action: "build",
      reason: `${at().image} (amd64): label ${P}runtime_image_digest is ${RUNTIME}, expected sha256:${"2".repeat(64)}`,
    });
    expect(await decide({ baseImages: { runtime: RUNTIME } })).toEqual({
      action: "build",
      reason: "the builder image is rebuilt in this pipeline",
    });
    expect(await decide({ arch: "arm64" })).toEqual({
      action: "build",
      reason: `${at().image} is a linux/amd64 image, not linux/arm64`,
    });
    expect(
      await decide({ container: { ...at(), image: `${registry.host}/spacktainers/brayns:9.9` } }),
    ).toEqual({
      action: "build",
      reason: `${registry.host}/spacktainers/brayns:9.9 not found in the registry`,
    });
  });
});

describe("SIF upload and custom containers against s3rver", () => {
  test("upload when missing; skip after uploading with the metadata; upload again when it differs", async () => {
    const dir = await useTempDir({ "brayns.sif": "SIF bytes\n" });
    const metadata = { "container-checksum": "c".repeat(64), "spack-lock-sha256": "d".repeat(64) };
    const key = "containers/brayns__3.2.0.sif";
    expect(await decideSifUpload({ s3, bucket: "sifs", key, metadata })).toEqual({
      action: "build",
      reason: `s3://sifs/${key} not found`,
    });
    await uploadSif({ s3, file: join(dir, "brayns.sif"), bucket: "sifs", key, metadata });
    expect(await decideSifUpload({ s3, bucket: "sifs", key, metadata })).toEqual({
      action: "skip",
      reason: `s3://sifs/${key} is up to date`,
    });
    expect(
      await decideSifUpload({
        s3,
        bucket: "sifs",
        key,
        metadata: { ...metadata, "spack-lock-sha256": "e".repeat(64) },
      }),
    ).toEqual({
      action: "build",
      reason: `s3://sifs/${key}: metadata spack-lock-sha256 is ${"d".repeat(64)}, expected ${"e".repeat(64)}`,
    });
    expect(await decideSifUpload({ s3, bucket: "sifs", key, metadata, imageRebuilt: true })).toEqual({
      action: "build",
      reason: "its image is rebuilt in this pipeline",
    });
    expect(await decideSifUpload({ offline: true, s3, bucket: "sifs", key, metadata })).toEqual({
      action: "build",
      reason: "not checked (offline)",
    });
  });

  test("custom .def: source digest for this arch vs the SIF's digest metadata", async () => {
    const dir = await useTempDir();
    const key = "containers/nexus-storage__latest__arm64.sif";
    const options = {
      client,
      s3,
      source: custom.reference,
      arch: "arm64",
      checksum: "a".repeat(64),
      bucket: "sifs",
      key,
    };
    const first = await decideCustomContainer(options);
    expect(first).toEqual({
      action: "build",
      reason: `s3://sifs/${key} not found`,
      sourceDigest: custom.manifests[1]!.digest,
    });
    await writeFile(join(dir, "n.sif"), "sif");
    await uploadSif({
      s3,
      file: join(dir, "n.sif"),
      bucket: "sifs",
      key,
      metadata: { "container-checksum": "a".repeat(64), digest: custom.manifests[0]!.digest },
    });
    expect(await decideCustomContainer(options)).toEqual({
      action: "build",
      reason: `s3://sifs/${key}: metadata digest is ${custom.manifests[0]!.digest}, expected ${custom.manifests[1]!.digest}`,
      sourceDigest: custom.manifests[1]!.digest,
    });
    await uploadSif({
      s3,
      file: join(dir, "n.sif"),
      bucket: "sifs",
      key,
      metadata: { "container-checksum": "a".repeat(64), digest: custom.manifests[1]!.digest },
    });
    expect(await decideCustomContainer(options)).toEqual({
      action: "skip",
      reason: `s3://sifs/${key} is up to date`,
      sourceDigest: custom.manifests[1]!.digest,
    });
    await expect(decideCustomContainer({ ...options, arch: "s390x" })).rejects.toThrow(
      `source image of a custom container is not usable: ${custom.reference} has no linux/s390x image (index lists: linux/amd64, linux/arm64)`,
    );
  });
});

describe("Docker Hub push", () => {
  test("prod only, existing repository only, tag missing or labels differ", async () => {
    await pushTestImage({
      registry: registry.host,
      repository: "bluebrain/spackah-brayns",
      tag: "3.2.0",
      labels: containerLabels,
    });
    const hub = await startDockerHubDouble({
      repositories: { "bluebrain/spackah-brayns": ["3.2.0"], "bluebrain/spackah-empty": [] },
    });
    try {
      const options = {
        enabled: true,
        isProd: true,
        namespace: "bluebrain",
        repository: "spackah-brayns",
        tag: "3.2.0",
        arches: ["amd64"],
        labels: containerLabels,
        labelPrefix: P,
        client,
        apiUrl: hub.url,
        registry: registry.host,
      };
      expect(await decideDockerHubPush(options)).toEqual({
        action: "skip",
        reason: "Docker Hub bluebrain/spackah-brayns:3.2.0 is up to date",
      });
      expect(
        await decideDockerHubPush({
          ...options,
          labels: { ...containerLabels, [`${P}container_checksum`]: "f".repeat(64) },
        }),
      ).toEqual({
        action: "build",
        reason: `Docker Hub bluebrain/spackah-brayns:3.2.0: label ${P}container_checksum is ${"c".repeat(64)}, expected ${"f".repeat(64)}`,
      });
      expect(await decideDockerHubPush({ ...options, repository: "spackah-empty" })).toEqual({
        action: "build",
        reason: "bluebrain/spackah-empty:3.2.0 is not on Docker Hub",
      });
      // Labels outside the site prefix (the plan's time, the commit) never cause a push.
      expect(
        await decideDockerHubPush({
          ...options,
          labels: { ...containerLabels, "org.opencontainers.image.created": "2026-03-01T00:00:00.000Z" },
        }),
      ).toEqual({ action: "skip", reason: "Docker Hub bluebrain/spackah-brayns:3.2.0 is up to date" });
      expect(await decideDockerHubPush({ ...options, imageRebuilt: true })).toEqual({
        action: "build",
        reason: "the image is built in this pipeline",
      });
      expect(
        await decideDockerHubPush({ ...options, repository: "spackah-new", imageRebuilt: true }),
      ).toEqual({
        action: "skip",
        reason:
          "Docker Hub repository bluebrain/spackah-new does not exist; create it at https://hub.docker.com/repository/create?namespace=bluebrain to publish this container",
        repositoryMissing: true,
      });
      expect(await decideDockerHubPush({ ...options, isProd: false })).toEqual({
        action: "skip",
        reason: "only the default branch publishes to Docker Hub",
      });
      expect(await decideDockerHubPush({ ...options, enabled: false })).toEqual({
        action: "skip",
        reason: "Docker Hub push is not enabled in the site config",
      });
      expect(await decideDockerHubPush({ ...options, offline: true })).toEqual({
        action: "build",
        reason: "not checked (offline)",
      });
      expect(hub.requests).toEqual([
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns/tags/3.2.0",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns/tags/3.2.0",
        "GET /v2/namespaces/bluebrain/repositories/spackah-empty",
        "GET /v2/namespaces/bluebrain/repositories/spackah-empty/tags/3.2.0",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns/tags/3.2.0",
        "GET /v2/namespaces/bluebrain/repositories/spackah-brayns",
        "GET /v2/namespaces/bluebrain/repositories/spackah-new",
      ]);
    } finally {
      await hub.stop();
    }
  });
});
