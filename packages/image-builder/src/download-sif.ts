import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type SiteSifRecord, SpacktainersError, siteSifRecordFileName } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";

export interface DownloadSifOptions {
  s3: S3Client;
  bucket: string;
  key: string;
  /** Destination; written as a temp file beside it, then renamed. */
  file: string;
  /**
   * Also write the site record beside the file (`.<file>.metadata.json`: bucket, key, size,
   * object metadata), which the site sync compares with the bucket. Default false.
   */
  record?: boolean;
}

/**
 * Downloads a SIF atomically (temp + rename): a reader never sees half a file. Returns its size
 * and the object's metadata (names lower-case); with `record`, writes the site record after it.
 */
export async function downloadSif({
  s3,
  bucket,
  key,
  file,
  record = false,
}: DownloadSifOptions): Promise<{ size: number; metadata: Record<string, string> }> {
  await mkdir(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${key.split("/").pop()}.${process.pid}.part`);
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let size = 0;
    const body = response.Body as Readable;
    body.on("data", (chunk: Buffer) => (size += chunk.length));
    await pipeline(body, createWriteStream(temp));
    await rename(temp, file);
    const metadata = Object.fromEntries(
      Object.entries(response.Metadata ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
    if (record) {
      const written: SiteSifRecord = { bucket, key, size, metadata };
      await writeFileAtomic(
        join(dirname(file), siteSifRecordFileName(basename(file))),
        `${JSON.stringify(written, null, 2)}\n`,
      );
    }
    return { size, metadata };
  } catch (error) {
    await rm(temp, { force: true });
    throw new SpacktainersError({
      code: "S3_DOWNLOAD_FAILED",
      message: `download of s3://${bucket}/${key} to ${file} failed: ${(error as Error).name}: ${(error as Error).message}`,
      cause: error,
    });
  }
}
