import { existsSync } from "node:fs";
import { connect } from "node:net";
import {
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createS3Client,
  type OciRegistry,
  pushMultiArchImage,
  pushTestImage,
  startOciRegistry,
  startS3Server,
} from "../src/index.js";

/** Resolves with the connect outcome: "open" or the error code (ECONNREFUSED once a server is gone). */
function probePort(port: number): Promise<string> {
  return new Promise((resolveProbe) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolveProbe("open");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolveProbe(error.code ?? error.message));
  });
}

const portOf = (url: string) => Number(new URL(url).port);

describe("startS3Server", () => {
  test("serves buckets, lists more than one page of keys, and stops", { timeout: 120_000 }, async () => {
    const server = await startS3Server({ buckets: ["cache"] });
    const client = server.client();
    try {
      expect(await probePort(portOf(server.endpoint))).toBe("open");
      // 1100 keys: a second ListObjectsV2 page, which fails without --openssl-legacy-provider.
      const keys = Array.from(
        { length: 1100 },
        (_, position) => `spack/build_cache/${String(position).padStart(4, "0")}`,
      );
      for (let start = 0; start < keys.length; start += 50) {
        await Promise.all(
          keys
            .slice(start, start + 50)
            .map((key) => client.send(new PutObjectCommand({ Bucket: "cache", Key: key, Body: key }))),
        );
      }
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: "cache", Prefix: "spack/", ContinuationToken: token }),
        );
        pages.push((page.Contents ?? []).map((object) => object.Key!));
        token = page.NextContinuationToken;
      } while (token);
      expect(pages.map((page) => page.length)).toEqual([1000, 100]);
      expect(pages.flat()).toEqual(keys);
      const object = await client.send(new GetObjectCommand({ Bucket: "cache", Key: keys[1099] }));
      expect(await object.Body!.transformToString()).toBe("spack/build_cache/1099");
    } finally {
      client.destroy();
      await server.stop();
    }
    expect({
      port: await probePort(portOf(server.endpoint)),
      directory: existsSync(server.directory),
    }).toEqual({
      port: "ECONNREFUSED",
      directory: false,
    });
  });

  test("creates the requested buckets; its plain connection fields are enough for a client", async () => {
    const server = await startS3Server({ buckets: ["spack-cache", "sif-images"] });
    try {
      // What a vitest globalSetup would `provide` to the test files.
      const { endpoint, accessKeyId, secretAccessKey, region } = server;
      expect({ accessKeyId, secretAccessKey, region, endpoint: endpoint.replace(/\d+$/, "PORT") }).toEqual({
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        region: "us-east-1",
        endpoint: "http://127.0.0.1:PORT",
      });
      const client = createS3Client(
        JSON.parse(JSON.stringify({ endpoint, accessKeyId, secretAccessKey, region })),
      );
      try {
        const listing = await client.send(new ListBucketsCommand({}));
        expect(listing.Buckets?.map((bucket) => bucket.Name)).toEqual(["sif-images", "spack-cache"]);
      } finally {
        client.destroy();
      }
    } finally {
      await server.stop();
    }
  });
});

describe("startOciRegistry", () => {
  test("answers /v2/ and stops", async () => {
    const registry = await startOciRegistry();
    const response = await fetch(`${registry.url}/v2/`);
    expect({
      host: registry.host,
      status: response.status,
      apiVersion: response.headers.get("docker-distribution-api-version"),
      body: await response.text(),
    }).toEqual({
      host: `127.0.0.1:${portOf(registry.url)}`,
      status: 200,
      apiVersion: "registry/2.0",
      body: "{}",
    });
    await registry.stop();
    expect({
      port: await probePort(portOf(registry.url)),
      directory: existsSync(registry.directory),
    }).toEqual({
      port: "ECONNREFUSED",
      directory: false,
    });
  });

  test('with auth: "htpasswd" asks for basic auth and accepts pushes with the test credentials', async () => {
    const registry = await startOciRegistry({ auth: "htpasswd" });
    try {
      const anonymous = await fetch(`${registry.url}/v2/`);
      const { username, password } = registry.credentials!;
      const authorized = await fetch(`${registry.url}/v2/`, {
        headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
      });
      expect({
        credentials: registry.credentials,
        anonymous: [anonymous.status, anonymous.headers.get("www-authenticate")],
        authorized: authorized.status,
      }).toEqual({
        credentials: { username: "tester", password: "spacktainers-test" },
        anonymous: [401, 'Basic realm="spacktainers-test"'],
        authorized: 200,
      });
      const image = { registry: registry.host, repository: "private/image", tag: "1" };
      await expect(pushTestImage(image)).rejects.toThrow(/unauthorized|authentication required/i);
      const pushed = await pushTestImage({ ...image, credentials: registry.credentials });
      expect(pushed.reference).toBe(`${registry.host}/private/image:1`);
    } finally {
      await registry.stop();
    }
  });

  test("fails with an actionable message when the registry binary is missing", async () => {
    await expect(startOciRegistry({ binary: "/nonexistent/docker-registry" })).rejects.toThrow(
      "/nonexistent/docker-registry not found: the OCI registry tests need Debian's registry (apt-get install -y docker-registry; .ci/run installs it)",
    );
  });
});

describe("test images", () => {
  let registry: OciRegistry;
  beforeAll(async () => {
    registry = await startOciRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  type Manifest = { mediaType?: string; config: { digest: string }; layers: unknown[] };
  type Index = { manifests: { digest: string; platform: unknown }[] };
  type ImageConfig = { architecture: string; os: string; config: { Labels?: Record<string, string> } };

  async function getJson<T>(path: string, accept: string) {
    const response = await fetch(`${registry.url}${path}`, { headers: { accept } });
    expect(response.status).toBe(200);
    return {
      contentType: response.headers.get("content-type"),
      digest: response.headers.get("docker-content-digest"),
      body: (await response.json()) as T,
    };
  }
  const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

  test("pushTestImage stores an OCI manifest whose config has the arch and labels", async () => {
    const pushed = await pushTestImage({
      registry: registry.host,
      repository: "spacktainers/runtime",
      tag: "1.0__my-branch",
      arch: "arm64",
      labels: { "ch.epfl.bbpgitlab.spacktainers.checksum": "abc123" },
    });
    expect(pushed.reference).toBe(`${registry.host}/spacktainers/runtime:1.0__my-branch`);
    const manifest = await getJson<Manifest>(
      `/v2/spacktainers/runtime/manifests/1.0__my-branch`,
      OCI_MANIFEST,
    );
    expect({
      contentType: manifest.contentType,
      digest: manifest.digest,
      layers: manifest.body.layers.length,
    }).toEqual({ contentType: OCI_MANIFEST, digest: pushed.digest, layers: 1 });
    const config = await getJson<ImageConfig>(
      `/v2/spacktainers/runtime/blobs/${manifest.body.config.digest}`,
      "*/*",
    );
    expect({
      architecture: config.body.architecture,
      os: config.body.os,
      labels: config.body.config.Labels,
    }).toEqual({
      architecture: "arm64",
      os: "linux",
      labels: { "ch.epfl.bbpgitlab.spacktainers.checksum": "abc123" },
    });
    // Same inputs, same digest: tests can assert digests.
    const again = await pushTestImage({
      registry: registry.host,
      repository: "spacktainers/runtime",
      tag: "again",
      arch: "arm64",
      labels: { "ch.epfl.bbpgitlab.spacktainers.checksum": "abc123" },
    });
    expect(again.digest).toBe(pushed.digest);
  });

  test("pushTestImage can store a Docker schema 2 manifest", async () => {
    const pushed = await pushTestImage({
      registry: registry.host,
      repository: "base/builder",
      tag: "latest",
      format: "docker",
    });
    const manifest = await getJson<Manifest>(`/v2/base/builder/manifests/latest`, DOCKER_MANIFEST);
    expect({
      contentType: manifest.contentType,
      digest: manifest.digest,
      mediaType: manifest.body.mediaType,
    }).toEqual({
      contentType: DOCKER_MANIFEST,
      digest: pushed.digest,
      mediaType: DOCKER_MANIFEST,
    });
    const config = await getJson<ImageConfig>(`/v2/base/builder/blobs/${manifest.body.config.digest}`, "*/*");
    expect(config.body.architecture).toBe("amd64");
  });

  test("pushMultiArchImage stores an OCI index over one manifest per arch", async () => {
    const pushed = await pushMultiArchImage({
      registry: registry.host,
      repository: "spacktainers/multi",
      tag: "2.1",
      labels: (arch) => ({ arch }),
    });
    const index = await getJson<Index>(`/v2/spacktainers/multi/manifests/2.1`, OCI_INDEX);
    expect({ contentType: index.contentType, digest: index.digest }).toEqual({
      contentType: OCI_INDEX,
      digest: pushed.digest,
    });
    expect(index.body.manifests.map((entry) => ({ digest: entry.digest, platform: entry.platform }))).toEqual(
      [
        { digest: pushed.manifests[0]!.digest, platform: { architecture: "amd64", os: "linux" } },
        { digest: pushed.manifests[1]!.digest, platform: { architecture: "arm64", os: "linux" } },
      ],
    );
    const arches = [];
    for (const entry of pushed.manifests) {
      const manifest = await getJson<Manifest>(
        `/v2/spacktainers/multi/manifests/${entry.digest}`,
        OCI_MANIFEST,
      );
      const config = await getJson<ImageConfig>(
        `/v2/spacktainers/multi/blobs/${manifest.body.config.digest}`,
        "*/*",
      );
      arches.push({ architecture: config.body.architecture, labels: config.body.config.Labels });
    }
    expect(arches).toEqual([
      { architecture: "amd64", labels: { arch: "amd64" } },
      { architecture: "arm64", labels: { arch: "arm64" } },
    ]);
  });
});
