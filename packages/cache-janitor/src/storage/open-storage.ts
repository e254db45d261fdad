import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "@spacktainers/core";
import type { CacheStorage } from "./cache-storage.js";
import { createLocalStorage } from "./local-storage.js";
import { createS3Storage } from "./s3-storage.js";

export interface OpenStorageOptions {
  /** `s3://bucket/prefix`, `file:///path`, or a local path. */
  url: string;
  /** S3 endpoint for S3-compatible stores. */
  endpoint?: string;
  /** Base of relative local paths (default: `process.cwd()`). */
  cwd?: string;
  /** Environment (region fallback). */
  env?: Record<string, string | undefined>;
}

/** Opens the storage a cache URL names: S3 for `s3://`, a local folder for `file://` or a path. */
export function openStorage(options: OpenStorageOptions): CacheStorage {
  const { url } = options;
  if (url.startsWith("s3://")) {
    const rest = url.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    if (!bucket) throw new UsageError(`cache URL "${url}" has no bucket; expected s3://bucket/prefix.`);
    return createS3Storage({
      bucket,
      prefix: slash === -1 ? "" : rest.slice(slash + 1),
      endpoint: options.endpoint,
      env: options.env,
    });
  }
  if (url.startsWith("file://")) return createLocalStorage(fileURLToPath(url));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw new UsageError(
      `unsupported cache URL "${url}"; expected s3://bucket/prefix, file:///path or a folder.`,
    );
  return createLocalStorage(isAbsolute(url) ? url : resolve(options.cwd ?? process.cwd(), url));
}
