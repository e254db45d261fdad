import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { checkNumberRange, type NumberRange, SpacktainersError, UsageError } from "@spacktainers/core";

/** S3 metadata keys: what `x-amz-meta-*` headers accept (the CLI's `--metadata k=v`). */
export const S3_METADATA_KEY = /^[a-z0-9][a-z0-9-]*$/;

const MIB = 1024 * 1024;

/** Multipart part sizes, in MiB: S3 refuses a part under 5 MiB (except the last). */
export const SIF_PART_SIZE_MIB_RANGE = { min: 5 } as const satisfies NumberRange;

export interface UploadSifOptions {
  /** S3 client (core's `createS3Client`). */
  s3: S3Client;
  /** Local SIF file. */
  file: string;
  bucket: string;
  key: string;
  /** Object metadata (`container-checksum`, `spack-lock-sha256`, `digest`). */
  metadata: Record<string, string>;
  /** Multipart part size in bytes (default 64 MiB; S3's minimum is 5 MiB, {@link SIF_PART_SIZE_MIB_RANGE}). */
  partSize?: number;
  /** Parts in flight (default 4). */
  queueSize?: number;
  /** Called with bytes sent so far. */
  onProgress?: (loaded: number, total: number) => void;
}

/** What was uploaded. */
export type UploadSifResult = {
  bucket: string;
  key: string;
  /** File size in bytes. */
  size: number;
  /** ETag S3 returned (a multipart ETag ends with `-<parts>`). */
  etag?: string;
  metadata: Record<string, string>;
};

/**
 * Uploads a SIF with its metadata through @aws-sdk/lib-storage (multipart above one part,
 * parts in parallel). Replaces the original s3cmd call and its sed-edited config file that
 * held the keys.
 */
export async function uploadSif({
  s3,
  file,
  bucket,
  key,
  metadata,
  partSize = 64 * MIB,
  queueSize = 4,
  onProgress,
}: UploadSifOptions): Promise<UploadSifResult> {
  const partSizeProblem = checkNumberRange(partSize / MIB, SIF_PART_SIZE_MIB_RANGE);
  if (partSizeProblem) throw new UsageError(`uploadSif: partSize in MiB ${partSizeProblem}.`);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
    size = info.size;
  } catch (error) {
    throw new SpacktainersError({
      code: "SIF_MISSING",
      message: `cannot read SIF ${file}: ${(error as Error).message}`,
      exitCode: 2,
      cause: error,
    });
  }
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: createReadStream(file),
      ContentType: "application/octet-stream",
      Metadata: metadata,
    },
    partSize,
    queueSize,
    leavePartsOnError: false,
  });
  if (onProgress) upload.on("httpUploadProgress", (progress) => onProgress(progress.loaded ?? 0, size));
  try {
    const result = await upload.done();
    return { bucket, key, size, ...(result.ETag ? { etag: result.ETag } : {}), metadata };
  } catch (error) {
    throw new SpacktainersError({
      code: "S3_UPLOAD_FAILED",
      message: `upload of ${file} to s3://${bucket}/${key} failed: ${(error as Error).message}`,
      cause: error,
    });
  }
}
