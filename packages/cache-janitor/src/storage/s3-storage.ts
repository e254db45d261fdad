import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { SpacktainersError } from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";
import {
  type CacheObject,
  type CacheStorage,
  compareKeys,
  type DeleteFailure,
  type StorageProgress,
} from "./cache-storage.js";

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
  /** Attempts of a GetObject whose body broke off or came short (default 4). */
  bodyAttempts?: number;
  /** First delay before such a retry, in ms, doubled each time (default 200). */
  retryDelayMs?: number;
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

/** The S3 client of a storage: core's factory (retries, path-style, checksums, proxy). */
function storageClient(options: Omit<S3StorageOptions, "bucket" | "prefix" | "client">): S3Client {
  return createS3Client({
    env: options.env ?? process.env,
    endpoint: options.endpoint,
    region: options.region,
    maxAttempts: options.maxAttempts,
  });
}

/** The bucket and key prefix requests go to. */
type S3Target = { client: S3Client; Bucket: string; keyPrefix: string };

/** Counts commands (`initialize`, once per command) and HTTP attempts (`deserialize`, after the retry step). */
function countRequests(client: S3Client): Pick<S3Storage, "operations" | "requests"> {
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
  return { operations, requests };
}

/** A build cache in an S3 bucket under a prefix. */
export function createS3Storage(options: S3StorageOptions): S3Storage {
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const keyPrefix = prefix === "" ? "" : `${prefix}/`;
  const client = options.client ?? storageClient(options);
  const target: S3Target = { client, Bucket: options.bucket, keyPrefix };
  const where = (key = "") => `s3://${options.bucket}/${keyPrefix}${key}`;
  return {
    location: `s3://${options.bucket}${prefix ? `/${prefix}` : ""}`,
    bucket: options.bucket,
    prefix,
    ...countRequests(client),
    list: (onProgress) => withS3Errors("list", where(), () => listAll(target, onProgress)),
    get: (key) => withS3Errors("read", where(key), () => getWithRetries(target, key, options)),
    head: (key) => withS3Errors("read", where(key), () => headOne(target, key)),
    put: (key, body, contentType) =>
      withS3Errors("write", where(key), async () => {
        await sendPut(target, key, body, contentType);
      }),
    create: (key, body, contentType) =>
      withS3Errors("write", where(key), () => createOne(target, key, body, contentType)),
    deleteBatch: (keys) => deleteKeys(target, keys),
    close() {
      if (!options.client) client.destroy();
    },
  };
}

/** Every key under the prefix, in byte order, refused when the store pages out of order. */
async function listAll(
  { client, Bucket, keyPrefix }: S3Target,
  onProgress?: (progress: StorageProgress) => void,
): Promise<CacheObject[]> {
  const listed: CacheObject[] = [];
  let previous: string | undefined;
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket, Prefix: keyPrefix, ContinuationToken: token, MaxKeys: 1000 }),
    );
    pages++;
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith("/")) continue;
      // S3 lists in UTF-8 byte order and pages over that order. A store that does not (s3rver
      // 3.7.1 walked its folders in disk order) skips keys between pages without a word.
      if (previous !== undefined && byteOrder(object.Key, previous) <= 0)
        throw new SpacktainersError({
          code: "LISTING_UNORDERED",
          message: `the store listed s3://${Bucket}/${keyPrefix} out of order: "${object.Key}" came after "${previous}" (page ${pages}). S3 lists keys in byte order and pages over that order; a store that does not may skip keys between pages, so this listing cannot be trusted to decide what to delete. Nothing was deleted.`,
        });
      previous = object.Key;
      listed.push({
        key: object.Key.slice(keyPrefix.length),
        size: object.Size ?? 0,
        lastModified: object.LastModified?.getTime() ?? 0,
      });
    }
    onProgress?.({ phase: "list", done: listed.length });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return listed.sort((a, b) => compareKeys(a.key, b.key));
}

/**
 * A GET whose body broke off (`Error: aborted`, a reset) or came shorter than its
 * Content-Length is retried like any other transient fault: the SDK's own retries end when
 * the headers arrive, before the body is read.
 */
async function getWithRetries(
  target: S3Target,
  key: string,
  options: Pick<S3StorageOptions, "bodyAttempts" | "retryDelayMs">,
): Promise<Uint8Array | undefined> {
  const attempts = options.bodyAttempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await getOne(target, key);
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      await sleep((options.retryDelayMs ?? 200) * 2 ** (attempt - 1));
    }
  }
}

async function getOne({ client, Bucket, keyPrefix }: S3Target, key: string): Promise<Uint8Array | undefined> {
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(new GetObjectCommand({ Bucket, Key: keyPrefix + key }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  const bytes = response.Body ? await response.Body.transformToByteArray() : new Uint8Array();
  if (response.ContentLength !== undefined && bytes.byteLength !== response.ContentLength)
    throw Object.assign(
      new Error(`body of ${bytes.byteLength} bytes, Content-Length ${response.ContentLength}`),
      {
        name: "TruncatedBody",
      },
    );
  return bytes;
}

async function headOne(
  { client, Bucket, keyPrefix }: S3Target,
  key: string,
): Promise<CacheObject | undefined> {
  try {
    const response = await client.send(new HeadObjectCommand({ Bucket, Key: keyPrefix + key }));
    return { key, size: response.ContentLength ?? 0, lastModified: response.LastModified?.getTime() ?? 0 };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** A PutObject, conditional (`If-None-Match: *`) when `ifAbsent`. */
function sendPut(
  { client, Bucket, keyPrefix }: S3Target,
  key: string,
  body: string | Uint8Array,
  contentType?: string,
  ifAbsent = false,
) {
  return client.send(
    new PutObjectCommand({
      Bucket,
      Key: keyPrefix + key,
      Body: typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      ContentType: contentType,
      ...(ifAbsent ? { IfNoneMatch: "*" } : {}),
    }),
  );
}

async function createOne(
  target: S3Target,
  key: string,
  body: string | Uint8Array,
  contentType?: string,
): Promise<boolean> {
  try {
    await sendPut(target, key, body, contentType, true);
    return true;
  } catch (error) {
    const status = httpStatus(error);
    // 412: the key exists. 409 ConditionalRequestConflict: another conditional write is in flight.
    if (status === 412 || status === 409) return false;
    if (status === 501)
      throw new SpacktainersError({
        code: "CONDITIONAL_WRITE_UNSUPPORTED",
        cause: error,
        message: `the store of s3://${target.Bucket}/${target.keyPrefix} does not support conditional writes (If-None-Match).`,
      });
    throw error;
  }
}

async function deleteKeys(
  { client, Bucket, keyPrefix }: S3Target,
  keys: readonly string[],
): Promise<DeleteFailure[]> {
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
}

/** The HTTP status of an SDK error. */
function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** The object does not exist (GetObject: NoSuchKey; HeadObject, which has no body: NotFound / 404). */
function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return (
    name === "NoSuchKey" || name === "NotFound" || (httpStatus(error) === 404 && name !== "NoSuchBucket")
  );
}

/** UTF-8 byte order, S3's listing order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Faults worth another attempt: a broken or short body, a reset, a 5xx. Not: access, missing bucket. */
function isTransient(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? "";
  const status = httpStatus(error);
  if (ACCESS_ERRORS.has(name) || name === "NoSuchBucket" || SpacktainersError.isInstance(error)) return false;
  if (status !== undefined && status >= 400 && status < 500) return false;
  return true;
}

/** S3 error names that mean the credentials or the bucket are wrong, not the request. */
const ACCESS_ERRORS = new Set([
  "AccessDenied",
  "Forbidden",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "CredentialsProviderError",
]);

/**
 * Runs an S3 call and turns the failures a user can fix (credentials, bucket, endpoint) into a
 * `SpacktainersError` that says what to check, instead of an SDK stack. The message never holds
 * a credential: only the error name, status and location.
 */
async function withS3Errors<T>(operation: string, location: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (SpacktainersError.isInstance(error)) throw error;
    const name = (error as { name?: string }).name ?? "Error";
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const what = `${name}${status ? ` (HTTP ${status})` : ""}`;
    if (ACCESS_ERRORS.has(name) || status === 401 || status === 403) {
      throw new SpacktainersError({
        code: "S3_ACCESS_DENIED",
        cause: error,
        message: `S3 refused to ${operation} ${location}: ${what}. Check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the variables the site config names) and that they may access this bucket.`,
      });
    }
    if (name === "NoSuchBucket") {
      throw new SpacktainersError({
        code: "S3_BUCKET_MISSING",
        exitCode: 2,
        cause: error,
        message: `the bucket of ${location} does not exist (${what}); check the bucket name and the endpoint.`,
      });
    }
    throw new SpacktainersError({
      code: "S3_ERROR",
      cause: error,
      message: `S3 failed to ${operation} ${location}: ${what}: ${(error as Error).message}`,
    });
  }
}
