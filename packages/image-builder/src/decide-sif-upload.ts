import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SpacktainersError } from "@spacktainers/core";
import { type Decision, OFFLINE_DECISION } from "./decide-image.js";

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
