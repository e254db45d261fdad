import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type S3Server, startS3Server } from "../src/index.js";

// s3rver 3.7.1 walked folders in on-disk order and paged on the fly: past 1,000 keys it dropped
// keys S3 sorts before a sibling folder. patches/s3rver@3.7.1.patch makes it list like S3
// (every key under the prefix in byte order, then pages) and honour If-None-Match on PutObject.
// S3's documented behaviour: ListObjectsV2 "returns objects in UTF-8 binary order"; PutObject
// with `If-None-Match: *` answers 412 Precondition Failed when the key exists.

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** 700 distinct Spack-like DAG hashes (32 characters of lowercase base32). */
const HASHES = Array.from({ length: 700 }, (_, position) =>
  [...position.toString(32).padStart(4, "0")]
    .map((digit) => BASE32[Number.parseInt(digit, 32)])
    .join("")
    .padEnd(32, "q"),
);

/** Spack v2 names: spec files beside the `<arch>/` folder that holds the tarballs. */
function v2Keys(): string[] {
  return HASHES.flatMap((hash, position) => {
    const base = `linux-ubuntu22.04-x86_64_v3-gcc-12.3.0-pkg${position}-1.0-${hash}`;
    return [
      `build_cache/${base}.spec.json.sig`,
      `build_cache/linux-ubuntu22.04-x86_64_v3/gcc-12.3.0/pkg${position}-1.0/${base}.spack`,
    ];
  });
}

/** Spack v3 names: `zlib/` beside `zlib-ng/`, content-addressed blobs. */
function v3Keys(): string[] {
  return HASHES.flatMap((hash, position) => {
    const name = position % 2 === 0 ? "zlib" : "zlib-ng";
    return [
      `v3/manifests/spec/${name}/${name}-${position}.0-${hash}.spec.manifest.json`,
      `blobs/sha256/${hash.slice(0, 2)}/${hash}${"0".repeat(32)}`,
    ];
  });
}

async function putAll(client: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 64)
    await Promise.all(
      keys
        .slice(start, start + 64)
        .map((key) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }))),
    );
}

async function listAll(client: S3Client, bucket: string, prefix: string, maxKeys?: number) {
  const keys: string[] = [];
  const pages: number[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        MaxKeys: maxKeys,
      }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    pages.push(page.Contents?.length ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, pages };
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe("patched s3rver", () => {
  let server: S3Server;
  let client: S3Client;
  const written = [...v2Keys(), ...v3Keys()].map((key) => `cache/${key}`);

  beforeAll(async () => {
    server = await startS3Server({ buckets: ["spack"] });
    client = server.client();
    await putAll(client, "spack", written);
  }, 180_000);
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  test(`lists all ${written.length} keys with Spack v2 and v3 names, in byte order, page after page`, async () => {
    const { keys, pages } = await listAll(client, "spack", "cache/");
    expect(written.length).toBeGreaterThan(2500);
    expect({ count: keys.length, pages }).toEqual({ count: written.length, pages: [1000, 1000, 800] });
    expect(keys).toEqual([...written].sort(byteOrder));
    // The v2 spec files sort before their sibling folder (`-` < `/`); the unpatched store lost them.
    expect(keys.filter((key) => key.endsWith(".spec.json.sig"))).toHaveLength(HASHES.length);
    expect(keys.filter((key) => key.includes("/zlib/"))).toHaveLength(HASHES.length / 2);
  });

  test("small pages and a narrower prefix list the same keys", async () => {
    const { keys, pages } = await listAll(client, "spack", "cache/v3/manifests/spec/zlib", 333);
    expect(keys).toEqual(
      written.filter((key) => key.startsWith("cache/v3/manifests/spec/zlib")).sort(byteOrder),
    );
    expect(pages).toEqual([333, 333, 34]);
  });

  test("If-None-Match: * creates a key once; a second conditional write gets 412", async () => {
    const put = (body: string) =>
      client.send(new PutObjectCommand({ Bucket: "spack", Key: "locks/one", Body: body, IfNoneMatch: "*" }));
    await put("first");
    await expect(put("second")).rejects.toMatchObject({
      name: "PreconditionFailed",
      $metadata: { httpStatusCode: 412 },
    });
    // Of conditional writes racing for a free key, exactly one wins.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, position) =>
        client.send(
          new PutObjectCommand({
            Bucket: "spack",
            Key: "locks/race",
            Body: `w${position}`,
            IfNoneMatch: "*",
          }),
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    // Unconditional writes still overwrite.
    await client.send(new PutObjectCommand({ Bucket: "spack", Key: "locks/one", Body: "third" }));
  });
});
