import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SpacktainersError } from "@spacktainers/core";

export interface DownloadSifOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Destination; written as a temp file beside it, then renamed. */
  file: string;
}

/** Downloads a SIF atomically (temp + rename): a reader never sees half a file. Returns its size. */
export async function downloadSif({ s3, bucket, key, file }: DownloadSifOptions): Promise<{ size: number }> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${key.split("/").pop()}.${process.pid}.part`);
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let size = 0;
    const body = response.Body as Readable;
    body.on("data", (chunk: Buffer) => (size += chunk.length));
    await pipeline(body, createWriteStream(temp));
    await rename(temp, file);
    return { size };
  } catch (error) {
    await rm(temp, { force: true });
    throw new SpacktainersError({
      code: "S3_DOWNLOAD_FAILED",
      message: `download of s3://${bucket}/${key} to ${file} failed: ${(error as Error).name}: ${(error as Error).message}`,
      cause: error,
    });
  }
}
