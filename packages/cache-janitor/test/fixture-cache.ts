import { existsSync, readFileSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryStorage, type MemoryObject, type MemoryStorage } from "../src/index.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../__fixtures__");

/** The real caches of __fixtures__/caches. */
export type FixtureCacheName =
  | "v2-0.19-signed"
  | "v2-0.19-unsigned"
  | "v2-0.23-signed"
  | "v3-1.0-signed"
  | "v3-1.0-unsigned";

/** Default modification time of fixture objects. */
export const FIXTURE_MTIME = new Date("2026-01-01T00:00:00Z");

/**
 * Every key of a fixture cache with its bytes: the real bytes when the fixture kept them, else
 * synthetic bytes of the real size (the big tarballs).
 */
export function fixtureObjects(name: FixtureCacheName): Map<string, Uint8Array> {
  const root = join(FIXTURES, "caches", name);
  const objects = new Map<string, Uint8Array>();
  for (const line of readFileSync(join(root, "object-keys.tsv"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const [key, size] = line.split("\t") as [string, string];
    const file = join(root, "files", key);
    objects.set(
      key,
      existsSync(file)
        ? new Uint8Array(readFileSync(file))
        : Buffer.alloc(Number(size), `synthetic ${key}\n`),
    );
  }
  return objects;
}

export interface MaterializeOptions {
  /** Modification time of every object (default {@link FIXTURE_MTIME}). */
  mtime?: Date;
  /** Modification times of some keys. */
  mtimes?: Record<string, Date>;
  /** Keys to leave out. */
  omit?: readonly string[];
  /** Extra objects. */
  extra?: Record<string, string | Uint8Array>;
}

function selectObjects(name: FixtureCacheName, options: MaterializeOptions): Map<string, Uint8Array> {
  const objects = fixtureObjects(name);
  for (const key of options.omit ?? []) {
    if (!objects.delete(key)) throw new Error(`no key ${key} in ${name}`);
  }
  for (const [key, body] of Object.entries(options.extra ?? {}))
    objects.set(key, typeof body === "string" ? new TextEncoder().encode(body) : body);
  return objects;
}

/** Writes a fixture cache into a folder (a `file://` mirror), with controlled modification times. */
export async function writeFixtureCache(
  name: FixtureCacheName,
  dir: string,
  options: MaterializeOptions = {},
): Promise<void> {
  for (const [key, body] of selectObjects(name, options)) {
    const path = join(dir, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    const mtime = options.mtimes?.[key] ?? options.mtime ?? FIXTURE_MTIME;
    await utimes(path, mtime, mtime);
  }
}

/** A fixture cache in memory. */
export function memoryFixtureCache(name: FixtureCacheName, options: MaterializeOptions = {}): MemoryStorage {
  const objects = new Map<string, MemoryObject>();
  for (const [key, body] of selectObjects(name, options))
    objects.set(key, {
      body,
      lastModified: (options.mtimes?.[key] ?? options.mtime ?? FIXTURE_MTIME).getTime(),
    });
  return createMemoryStorage({ objects });
}

/** Path of a file under __fixtures__. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
