import {
  type OciRegistry,
  type PushedImage,
  type PushedMultiArchImage,
  pushMultiArchImage,
  pushTestImage,
  startOciRegistry,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRegistryClient, MEDIA_TYPES } from "../src/registry-client.js";
import { startTokenProxy, type TokenProxy } from "./token-proxy.js";

let registry: OciRegistry;
let labelled: PushedImage;
let unlabelled: PushedImage;
let multi: PushedMultiArchImage;
let dockerListDigest: string;
let dockerArm: PushedImage;

/** A Docker manifest list over two docker-format images, PUT by hand (skopeo writes OCI indexes). */
async function putDockerList(host: string): Promise<string> {
  const amd = await pushTestImage({
    registry: host,
    repository: "test/dlist",
    tag: "amd64",
    format: "docker",
  });
  dockerArm = await pushTestImage({
    registry: host,
    repository: "test/dlist",
    tag: "arm64",
    arch: "arm64",
    format: "docker",
    labels: { "ch.epfl.bbpgitlab.container_checksum": "abc" },
  });
  const entry = async (digest: string, architecture: string) => {
    const response = await fetch(`http://${host}/v2/test/dlist/manifests/${digest}`, {
      method: "HEAD",
      headers: { accept: MEDIA_TYPES.dockerManifest },
    });
    return {
      mediaType: MEDIA_TYPES.dockerManifest,
      digest,
      size: Number(response.headers.get("content-length")),
      platform: { architecture, os: "linux" },
    };
  };
  const list = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerList,
    manifests: [await entry(amd.digest, "amd64"), await entry(dockerArm.digest, "arm64")],
  };
  const response = await fetch(`http://${host}/v2/test/dlist/manifests/latest`, {
    method: "PUT",
    headers: { "content-type": MEDIA_TYPES.dockerList },
    body: JSON.stringify(list),
  });
  if (response.status !== 201) throw new Error(`PUT list: ${response.status} ${await response.text()}`);
  return response.headers.get("docker-content-digest")!;
}

beforeAll(async () => {
  registry = await startOciRegistry();
  labelled = await pushTestImage({
    registry: registry.host,
    repository: "spacktainers/builder",
    tag: "0123456789ab",
    labels: {
      "ch.epfl.bbpgitlab.container_checksum": "c0ffee",
      "ch.epfl.bbpgitlab.spack_commit": "deadbeef",
    },
  });
  unlabelled = await pushTestImage({
    registry: registry.host,
    repository: "spacktainers/runtime",
    tag: "v1",
    format: "docker",
  });
  multi = await pushMultiArchImage({
    registry: registry.host,
    repository: "spacktainers/brayns",
    tag: "3.2.0",
    labels: (arch) => ({ "ch.epfl.bbpgitlab.container_checksum": `sum-${arch}` }),
  });
  dockerListDigest = await putDockerList(registry.host);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
});

describe("inspectImage against docker-registry", () => {
  test("single-arch OCI manifest with labels", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    const result = await client.inspectImage({ reference: labelled.reference, arch: "amd64" });
    expect(result).toEqual({
      exists: true,
      reference: labelled.reference,
      digest: labelled.digest,
      mediaType: MEDIA_TYPES.ociManifest,
      architecture: "amd64",
      os: "linux",
      labels: {
        "ch.epfl.bbpgitlab.container_checksum": "c0ffee",
        "ch.epfl.bbpgitlab.spack_commit": "deadbeef",
      },
      created: "2000-01-01T00:00:00Z",
    });
    expect(await client.headManifest(labelled.reference)).toBe(labelled.digest);
    await client.close();
  });

  test("a single-arch image of another arch is absent, never used instead", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    expect(await client.inspectImage({ reference: labelled.reference, arch: "arm64" })).toEqual({
      exists: false,
      reference: labelled.reference,
      reason: `${labelled.reference} is a linux/amd64 image, not linux/arm64`,
    });
    await client.close();
  });

  test("Docker v2 manifest without labels", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    const result = await client.inspectImage({ reference: unlabelled.reference, arch: "amd64" });
    expect(result).toMatchObject({
      exists: true,
      digest: unlabelled.digest,
      mediaType: MEDIA_TYPES.dockerManifest,
      architecture: "amd64",
      labels: {},
    });
    await client.close();
  });

  test("OCI index: the requested arch's manifest, or absent with the arches listed", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    const arm = await client.inspectImage({ reference: multi.reference, arch: "arm64" });
    expect(arm).toEqual({
      exists: true,
      reference: multi.reference,
      digest: multi.manifests[1]!.digest,
      indexDigest: multi.digest,
      mediaType: MEDIA_TYPES.ociManifest,
      architecture: "arm64",
      os: "linux",
      labels: { "ch.epfl.bbpgitlab.container_checksum": "sum-arm64" },
      created: "2000-01-01T00:00:00Z",
    });
    expect(await client.inspectImage({ reference: multi.reference, arch: "ppc64le" })).toEqual({
      exists: false,
      reference: multi.reference,
      reason: `${multi.reference} has no linux/ppc64le image (index lists: linux/amd64, linux/arm64)`,
    });
    expect(await client.inspectImage({ reference: multi.reference, arch: "arm64/v8" })).toMatchObject({
      exists: false,
    });
    await client.close();
  });

  test("Docker manifest list", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    const result = await client.inspectImage({
      reference: `${registry.host}/test/dlist:latest`,
      arch: "arm64",
    });
    expect(result).toMatchObject({
      exists: true,
      digest: dockerArm.digest,
      indexDigest: dockerListDigest,
      mediaType: MEDIA_TYPES.dockerManifest,
      labels: { "ch.epfl.bbpgitlab.container_checksum": "abc" },
    });
    await client.close();
  });

  test("404 means absent: unknown tag and unknown repository", async () => {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    const ref = `${registry.host}/spacktainers/builder:nope`;
    expect(await client.inspectImage({ reference: ref, arch: "amd64" })).toEqual({
      exists: false,
      reference: ref,
      reason: `${ref} not found in the registry`,
    });
    expect(await client.headManifest(`${registry.host}/nothing/here:1`)).toBeUndefined();
    expect(await client.getManifest(`${registry.host}/nothing/here:1`)).toBeUndefined();
    await client.close();
  });
});

describe("tlsVerify: false (site config registry.tls_verify)", () => {
  test("reaches a plain-HTTP registry as buildah --tls-verify=false does; verified TLS does not", async () => {
    const insecure = createRegistryClient({ tlsVerify: false });
    expect(await insecure.headManifest(labelled.reference)).toBe(labelled.digest);
    expect(await insecure.inspectImage({ reference: labelled.reference, arch: "amd64" })).toMatchObject({
      exists: true,
      digest: labelled.digest,
    });
    await insecure.close();
    const verified = createRegistryClient({});
    await expect(verified.headManifest(labelled.reference)).rejects.toMatchObject({
      code: "REGISTRY_UNREACHABLE",
      message: expect.stringContaining(`cannot reach https://${registry.host}`),
    });
    await verified.close();
  });
});

describe("Bearer token challenge", () => {
  let proxy: TokenProxy;
  beforeAll(async () => {
    proxy = await startTokenProxy({ upstream: registry.url, user: "ci-user", password: "s3cret-pass" });
  });
  afterAll(async () => proxy?.stop());

  test("realm + service + scope → token, with basic credentials from the named env vars", async () => {
    proxy.tokenRequests.length = 0;
    const client = createRegistryClient({
      plainHttp: [proxy.host],
      env: { REG_USER: "ci-user", REG_PASS: "s3cret-pass" },
      credentials: [{ registry: proxy.host, userVar: "REG_USER", passwordVar: "REG_PASS" }],
    });
    const result = await client.inspectImage({
      reference: `${proxy.host}/spacktainers/brayns:3.2.0`,
      arch: "amd64",
    });
    expect(result).toMatchObject({ exists: true, digest: multi.manifests[0]!.digest });
    // One token per repository scope, reused for the index, the manifest and the config blob.
    expect(proxy.tokenRequests).toEqual([
      { service: "test-registry", scope: "repository:spacktainers/brayns:pull", user: "ci-user" },
    ]);
    await client.close();
  });

  test("refused credentials fail loudly without printing the password", async () => {
    const client = createRegistryClient({
      plainHttp: [proxy.host],
      env: { REG_USER: "ci-user", REG_PASS: "wrong-pass" },
      credentials: [{ userVar: "REG_USER", passwordVar: "REG_PASS" }],
    });
    const error = await client
      .inspectImage({ reference: `${proxy.host}/spacktainers/brayns:3.2.0`, arch: "amd64" })
      .catch((e: Error) => e);
    expect(error).toMatchObject({
      code: "REGISTRY_AUTH",
      message: `token service http://${proxy.host}/token answered 401 for ${proxy.host} (credentials rejected?)`,
    });
    await client.close();
  });
});
