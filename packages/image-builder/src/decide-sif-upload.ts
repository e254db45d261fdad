import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SIF_METADATA, SpacktainersError } from "@spacktainers/core";
import { type Decision, OFFLINE_DECISION } from "./decide-image.js";
import type { RegistryClient } from "./registry-client.js";

export interface DecideSifUploadOptions {
  /** S3 client of the containers bucket; `undefined` or `offline` → "not checked (offline)". */
  s3?: S3Client;
  offline?: boolean;
  /** Bucket name. */
  bucket: string;
  /** Object key (`sifObjectKey(prefix, name, tag)`). */
  key: string;
  /** Metadata the object must carry (`container-checksum`, `spack-lock-sha256`; custom: `digest`). */
  metadata: Record<string, string>;
  /** True when the image is rebuilt in this pipeline: its SIF must follow whatever S3 holds. */
  imageRebuilt?: boolean;
}

/** Object metadata, or `undefined` when the object does not exist. */
export async function headObjectMetadata(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<Record<string, string> | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return Object.fromEntries(
      Object.entries(head.Metadata ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return undefined;
    throw new SpacktainersError({
      code: "S3_ERROR",
      message: `HeadObject s3://${bucket}/${key} failed: ${(error as Error).name}${status ? ` (${status})` : ""}`,
      cause: error,
    });
  }
}

/** Upload unless the SIF exists with exactly the expected metadata. */
export async function decideSifUpload({
  s3,
  offline,
  bucket,
  key,
  metadata,
  imageRebuilt,
}: DecideSifUploadOptions): Promise<Decision> {
  if (offline || !s3) return OFFLINE_DECISION;
  if (imageRebuilt) return { action: "build", reason: "its image is rebuilt in this pipeline" };
  const found = await headObjectMetadata(s3, bucket, key);
  const url = `s3://${bucket}/${key}`;
  if (!found) return { action: "build", reason: `${url} not found` };
  const differences: string[] = [];
  for (const [name, value] of Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const actual = found[name.toLowerCase()];
    if (actual === undefined) differences.push(`metadata ${name} missing (expected ${value})`);
    else if (actual !== value) differences.push(`metadata ${name} is ${actual}, expected ${value}`);
  }
  if (differences.length > 0) return { action: "build", reason: `${url}: ${differences.join("; ")}` };
  return { action: "skip", reason: `${url} is up to date` };
}

export interface DecideCustomContainerOptions {
  /** Client that can read the `.def`'s source registry (often Docker Hub, anonymously). */
  client?: RegistryClient;
  s3?: S3Client;
  offline?: boolean;
  /** The `From:` image of the `.def` file. */
  source: string;
  /** Architecture of the SIF. */
  arch: string;
  /** Container checksum of the `.def` file. */
  checksum: string;
  bucket: string;
  key: string;
}

/** A custom decision also reports the source digest the SIF job must pin. */
export type CustomContainerDecision = Decision & {
  /** Manifest digest of the source image for this arch (absent offline). */
  sourceDigest?: string;
};

/**
 * A custom (`.def`) container's SIF is up to date when its metadata names the current digest
 * of the source image for this arch and the current `.def` checksum. A source image without
 * this arch is an error, not a fallback to another arch.
 */
export async function decideCustomContainer({
  client,
  s3,
  offline,
  source,
  arch,
  checksum,
  bucket,
  key,
}: DecideCustomContainerOptions): Promise<CustomContainerDecision> {
  if (offline || !client || !s3) return OFFLINE_DECISION;
  const found = await client.inspectImage({ reference: source, arch });
  if (!found.exists)
    throw new SpacktainersError({
      code: "SOURCE_IMAGE_MISSING",
      message: `source image of a custom container is not usable: ${found.reason}`,
    });
  const decision = await decideSifUpload({
    s3,
    bucket,
    key,
    metadata: { [SIF_METADATA.containerChecksum]: checksum, [SIF_METADATA.digest]: found.digest },
  });
  return { ...decision, sourceDigest: found.digest };
}
