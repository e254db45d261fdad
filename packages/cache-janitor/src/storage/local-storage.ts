import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { link, lstat, mkdir, readdir, readFile, rmdir, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { writeFileAtomic } from "@spacktainers/core/node";
import { type CacheObject, type CacheStorage, compareKeys, type DeleteFailure } from "./cache-storage.js";

/** How many `lstat` calls run at once while listing a folder. */
const STAT_CONCURRENCY = 64;

/**
 * A build cache in a local folder — what Spack calls a `file://` mirror. Listing uses the
 * file modification time as `lastModified`, as S3 does for objects.
 */
export function createLocalStorage(root: string): CacheStorage {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(base, key);
    if (!path.startsWith(base + sep)) throw new Error(`key outside the cache folder: ${key}`);
    return path;
  };
  return {
    location: pathToFileURL(base).href,
    async list(onProgress) {
      let entries: Dirent[];
      try {
        entries = await readdir(base, { recursive: true, withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const files = entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(base, join(entry.parentPath, entry.name)).split(sep).join("/"));
      const listed: CacheObject[] = new Array(files.length);
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const index = next++;
          const stats = await lstat(join(base, files[index]!));
          listed[index] = { key: files[index]!, size: stats.size, lastModified: stats.mtimeMs };
          if (index % 1000 === 999) onProgress?.({ phase: "list", done: index + 1, total: files.length });
        }
      };
      await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, files.length) }, worker));
      onProgress?.({ phase: "list", done: files.length, total: files.length });
      return listed.sort((a, b) => compareKeys(a.key, b.key));
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async head(key) {
      try {
        const stats = await lstat(pathOf(key));
        return stats.isFile() ? { key, size: stats.size, lastModified: stats.mtimeMs } : undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async put(key, body) {
      await writeFileAtomic(pathOf(key), body);
    },
    async create(key, body) {
      // Written in full beside the target, then hard-linked: link(2) fails with EEXIST when the
      // name exists, so the create is exclusive and no reader ever sees a half-written object.
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, body);
      try {
        await link(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
      } finally {
        await unlink(temp).catch(() => {});
      }
    },
    async deleteBatch(keys) {
      const failures: DeleteFailure[] = [];
      const folders = new Set<string>();
      for (const key of keys) {
        try {
          const path = pathOf(key);
          await unlink(path);
          folders.add(dirname(path));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? "Error";
          if (code !== "ENOENT") failures.push({ key, code, message: (error as Error).message });
        }
      }
      // Spack never leaves empty folders behind; neither do we (deepest first, best effort).
      for (const folder of [...folders].sort((a, b) => b.length - a.length))
        await removeEmptyFolders(folder, base);
      return failures;
    },
  };
}

async function removeEmptyFolders(folder: string, base: string): Promise<void> {
  let current = folder;
  while (current.startsWith(base + sep)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}
