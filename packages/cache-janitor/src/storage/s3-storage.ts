import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { type CacheObject, type CacheStorage, compareKeys, type DeleteFailure } from "./cache-storage.js";

export interface S3StorageOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix of the cache root, without leading or trailing slash ("" for the bucket root). */
  prefix?: string;
  /** S3 endpoint URL for S3-compatible stores (path-style addressing is then used). */
  endpoint?: string;
  /** Region (default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`). */
  region?: string;
  /** An existing client (its configuration wins over `endpoint` and `region`). */
  client?: S3Client;
  /** Attempts per request, retries included, for 500/503/SlowDown/reset (default 6). */
  maxAttempts?: number;
  /** Environment for the region fallback (default: `process.env`). Credentials come from the AWS SDK chain. */
  env?: Record<string, string | undefined>;
}

/** An S3 storage, with counts of what it sent, by operation. */
export type S3Storage = CacheStorage & {
  readonly bucket: string;
  readonly prefix: string;
  /** SDK commands sent (one per page, object or delete batch), by operation. */
  readonly operations: Record<string, number>;
  /** HTTP requests made, retries of 5xx/SlowDown/resets included, by operation. */
  readonly requests: Record<string, number>;
};

/** Creates the S3 client the janitor uses: path-style for custom endpoints, checksums only when required. */
export function createS3Client(options: Omit<S3StorageOptions, "bucket" | "prefix" | "client">): S3Client {
  const env = options.env ?? process.env;
  const config: S3ClientConfig = {
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    maxAttempts: options.maxAttempts ?? 6,
    // Streamed bodies cannot be checksummed up front, and S3-compatible stores (Ceph, MinIO
    // versions, s3rver) reject the flexible checksums the SDK sends by default since 3.729.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = true;
  }
  return new S3Client(config);
}

/** A build cache in an S3 bucket under a prefix. */
export function createS3Storage(options: S3StorageOptions): S3Storage {
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const keyPrefix = prefix === "" ? "" : `${prefix}/`;
  const client = options.client ?? createS3Client(options);
  const operations: Record<string, number> = {};
  const requests: Record<string, number> = {};
  const counter =
    (counts: Record<string, number>) =>
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      const operation = String(context.commandName ?? "unknown").replace(/Command$/, "");
      counts[operation] = (counts[operation] ?? 0) + 1;
      return next(args);
    };
  // initialize runs once per command; deserialize once per HTTP attempt (after the retry step).
  client.middlewareStack.add(counter(operations) as never, {
    step: "initialize",
    name: "spacktainersOperationCounter",
    override: true,
  });
  client.middlewareStack.add(counter(requests) as never, {
    step: "deserialize",
    name: "spacktainersRequestCounter",
    override: true,
  });
  const Bucket = options.bucket;
  return {
    location: `s3://${Bucket}${prefix ? `/${prefix}` : ""}`,
    bucket: Bucket,
    prefix,
    operations,
    requests,
    async list(onProgress) {
      const listed = new Map<string, CacheObject>();
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket, Prefix: keyPrefix, ContinuationToken: token, MaxKeys: 1000 }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key || object.Key.endsWith("/")) continue;
          // Keyed by name: a store that repeats a key across pages (s3rver does) counts it once.
          listed.set(object.Key, {
            key: object.Key.slice(keyPrefix.length),
            size: object.Size ?? 0,
            lastModified: object.LastModified?.getTime() ?? 0,
          });
        }
        onProgress?.({ phase: "list", done: listed.size });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return [...listed.values()].sort((a, b) => compareKeys(a.key, b.key));
    },
    async get(key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket, Key: keyPrefix + key }));
        return response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === "NoSuchKey" || name === "NotFound") return undefined;
        throw error;
      }
    },
    async put(key, body, contentType) {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: keyPrefix + key,
          Body: typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          ContentType: contentType,
        }),
      );
    },
    async deleteBatch(keys) {
      if (keys.length === 0) return [];
      try {
        const response = await client.send(
          new DeleteObjectsCommand({
            Bucket,
            Delete: { Objects: keys.map((key) => ({ Key: keyPrefix + key })), Quiet: true },
          }),
        );
        // DeleteObjects answers 200 even when some keys failed: the failures are in Errors.
        return (response.Errors ?? []).map(
          (error): DeleteFailure => ({
            key: (error.Key ?? "").slice(keyPrefix.length),
            code: error.Code ?? "Unknown",
            message: error.Message ?? "",
          }),
        );
      } catch (error) {
        // The whole request failed after the SDK's retries: every key of the batch failed.
        const code = (error as { name?: string }).name ?? "Error";
        const message = (error as Error).message ?? String(error);
        return keys.map((key) => ({ key, code, message }));
      }
    },
    close() {
      if (!options.client) client.destroy();
    },
  };
}
