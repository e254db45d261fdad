import { mapWithConcurrency, SpacktainersError, sha256Hex, type Warning } from "@spacktainers/core";
import { LOCK_KEY } from "./cache-lock.js";
import { PENDING_KEY } from "./pending-deletions.js";
import { checkDatabase, type IndexedSpec, readIndexedSpecs, type SpackDatabase } from "./spack-database.js";
import type { CacheObject, CacheStorage, StorageProgress } from "./storage/cache-storage.js";

/** Spack's build-cache layouts: v2 (`build_cache/`, Spack ≤ 0.23) and v3 (`v3/` + `blobs/`, Spack 1.x). */
export type CacheLayout = "v2" | "v3";

/** Spack DAG hashes are 32 characters of lowercase base32. */
const HASH = "[a-z2-7]{32}";
const V2_SPEC_FILE = new RegExp(`^build_cache/([^/]+)-(${HASH})\\.spec\\.(?:json\\.sig|json|yaml)$`);
const V2_TARBALL = new RegExp(`^build_cache/(?:(.+)/)?([^/]+)-(${HASH})\\.spack$`);
const V3_SPEC_MANIFEST = new RegExp(`^v3/manifests/spec/([^/]+)/([^/]+)-(${HASH})\\.spec\\.manifest\\.json$`);
const V3_BLOB = /^blobs\/sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/;

export const V2_INDEX_KEY = "build_cache/index.json";
export const V2_INDEX_HASH_KEY = "build_cache/index.json.hash";
export const V3_LAYOUT_KEY = "v3/layout.json";
export const V3_INDEX_MANIFEST_KEY = "v3/manifests/index/index.manifest.json";

/** A spec that has objects in the cache. */
export type CacheSpec = {
  hash: string;
  /** Package name (from the index, the v3 manifest path or the v2 tarball folder). */
  name?: string;
  version?: string;
  /** v2: its spec file(s) (`.spec.json`, `.spec.json.sig`, `.spec.yaml`); v3: its manifest. */
  specKeys: string[];
  /** v2: its tarball (`.spack`). */
  tarballKey?: string;
  /** v3: the blobs its manifest references, present or not. */
  blobKeys: string[];
  /** v3: referenced blobs that are not in the cache. */
  missingBlobKeys: string[];
  /** Newest modification time of its own objects (spec files, tarball, manifest). */
  lastModified: number;
  /** The index lists it. */
  inIndex: boolean;
};

/** The build cache's index, as found. */
export type CacheIndex = {
  /** `build_cache/index.json` (v2) or `v3/manifests/index/index.manifest.json` (v3). */
  key: string;
  status: "ok" | "missing" | "unreadable";
  /** Why it is unreadable. */
  problem?: string;
  /** The database text as stored (v2 index.json, v3 index blob). */
  text?: string;
  database?: SpackDatabase;
  /** v3: key of the index blob the manifest points to. */
  blobKey?: string;
  /** v3: media type of the index blob (e.g. `application/vnd.spack.db.v8+json`). */
  mediaType?: string;
  /**
   * v2: whether `index.json.hash` holds the sha256 of `index.json`. Spack clients compare it to
   * decide whether to fetch the index again, so a stale one keeps them on an old index.
   */
  hashStatus?: "ok" | "mismatch" | "missing";
};

/** Kinds of orphan objects. */
export type OrphanKind = "orphan-tarball" | "orphan-spec-file" | "orphan-manifest" | "orphan-blob";

/** An object that lost its counterpart (before the grace period for pushes in flight is applied). */
export type OrphanCandidate = { key: string; kind: OrphanKind; hash?: string };

/** Everything the planner knows about a cache, from one listing plus the index (and v3 manifests). */
export type BuildCache = {
  location: string;
  layout: CacheLayout;
  objects: CacheObject[];
  objectsByKey: Map<string, CacheObject>;
  /** Specs with objects in the cache, by hash. */
  specs: Map<string, CacheSpec>;
  /** Every spec of the index (including externals and other dependency-only nodes), by hash. */
  indexed: Map<string, IndexedSpec>;
  index: CacheIndex;
  /** Keys never deleted: signing keys, layout and index files, blobs of key and index manifests. */
  protectedKeys: Set<string>;
  /** Keys the janitor does not recognise; never deleted. */
  unknownKeys: string[];
  orphanCandidates: OrphanCandidate[];
  /** v3: manifests (spec, key, index) that reference each blob. */
  blobReferrers: Map<string, Set<string>>;
  /** The listing held a janitor lock object (not counted among `objects`). */
  lockListed: boolean;
  /** The listing held the journal of an interrupted run (not counted among `objects`). */
  pendingListed: boolean;
  /** v3: some manifest could not be read, so blob orphans cannot be known. */
  blobOrphansUnknown: boolean;
  warnings: Warning[];
};

export interface ReadBuildCacheOptions {
  storage: CacheStorage;
  /** Parallel GETs of v3 manifests (default 16). */
  concurrency?: number;
  onProgress?: (progress: StorageProgress) => void;
}

/** Key of a v3 blob from its sha256. */
export function blobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * The JSON inside a Spack manifest, which may be clearsigned (RFC 4880 §7: the text sits between
 * the armor header block and the signature, with lines starting with "-" escaped as "- -").
 */
export function manifestJson(text: string): string {
  if (!text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----")) return text;
  const start = text.indexOf("\n\n");
  const end = text.indexOf("\n-----BEGIN PGP SIGNATURE-----");
  if (start === -1 || end === -1) throw new Error("malformed clearsigned message");
  return text
    .slice(start + 2, end)
    .split("\n")
    .map((line) => (line.startsWith("- ") ? line.slice(2) : line))
    .join("\n");
}

/** A v3 manifest's entries: `{"version": 3, "data": [{"checksum", "mediaType", ...}]}`. */
export type ManifestEntry = {
  contentLength: number;
  mediaType: string;
  compression: string;
  checksumAlgorithm: string;
  checksum: string;
};

export function parseManifest(text: string): ManifestEntry[] {
  const value = JSON.parse(manifestJson(text)) as { data?: ManifestEntry[] };
  if (!Array.isArray(value?.data)) throw new Error('no "data" list');
  for (const entry of value.data) {
    if (entry?.checksumAlgorithm !== "sha256" || !/^[0-9a-f]{64}$/.test(String(entry.checksum)))
      throw new Error(
        `unsupported checksum ${JSON.stringify(entry?.checksumAlgorithm)}:${JSON.stringify(entry?.checksum)}`,
      );
  }
  return value.data;
}

const decoder = new TextDecoder();

/** Guesses `<name>` from a v2 tarball folder `<name>-<version>` (the index is the better source). */
function splitNameVersion(folder: string): { name?: string; version?: string } {
  const match = /^(.+?)-(\d[^/]*)$/.exec(folder);
  return match ? { name: match[1], version: match[2] } : {};
}

/** Lists a cache once and classifies every object; reads the index (and, in v3, the manifests). */
export async function readBuildCache(options: ReadBuildCacheOptions): Promise<BuildCache> {
  const { storage } = options;
  // The janitor's own lock and journal are not part of the cache (its inventory, its fractions).
  const listed = await storage.list(options.onProgress);
  const objects = listed.filter((object) => object.key !== LOCK_KEY && object.key !== PENDING_KEY);
  const objectsByKey = new Map(objects.map((object) => [object.key, object]));
  let layout: CacheLayout;
  if (objectsByKey.has(V3_LAYOUT_KEY)) layout = "v3";
  else if (objects.some((object) => object.key.startsWith("build_cache/"))) layout = "v2";
  else
    throw new SpacktainersError({
      code: "CACHE_NOT_FOUND",
      // The URL given is not a cache: bad input.
      exitCode: 2,
      message: `no Spack build cache at ${storage.location}: found neither ${V3_LAYOUT_KEY} (layout v3) nor build_cache/ (layout v2) among ${objects.length} objects. Check the URL and its prefix.`,
    });
  const cache: BuildCache = {
    location: storage.location,
    lockListed: listed.some((object) => object.key === LOCK_KEY),
    pendingListed: listed.some((object) => object.key === PENDING_KEY),
    layout,
    objects,
    objectsByKey,
    specs: new Map(),
    indexed: new Map(),
    index: { key: layout === "v2" ? V2_INDEX_KEY : V3_INDEX_MANIFEST_KEY, status: "missing" },
    protectedKeys: new Set(),
    unknownKeys: [],
    orphanCandidates: [],
    blobReferrers: new Map(),
    blobOrphansUnknown: false,
    warnings: [],
  };
  if (layout === "v2") await classifyV2(cache, storage);
  else await classifyV3(cache, storage, options);
  if (cache.index.database) {
    cache.indexed = readIndexedSpecs(cache.index.database);
    for (const [hash, spec] of cache.specs) {
      const indexed = cache.indexed.get(hash);
      if (!indexed) continue;
      spec.inIndex = true;
      spec.name = indexed.name;
      spec.version = indexed.version;
    }
    const unindexed = [...cache.specs.values()].filter((spec) => !spec.inIndex && spec.specKeys.length > 0);
    if (unindexed.length > 0)
      cache.warnings.push({
        file: cache.index.key,
        code: "SPECS_NOT_INDEXED",
        message: `${unindexed.length} spec(s) in the cache are not in the index (first: ${unindexed[0]!.specKeys[0]}); their dependencies are unknown.`,
        hint: "run `spack buildcache update-index` to add them",
      });
  }
  if (cache.unknownKeys.length > 0)
    cache.warnings.push({
      file: cache.unknownKeys[0]!,
      code: "UNKNOWN_KEYS",
      message: `${cache.unknownKeys.length} object(s) are not part of a layout-${layout} build cache and are left alone (first: ${cache.unknownKeys[0]}).`,
    });
  return cache;
}

function specOf(cache: BuildCache, hash: string): CacheSpec {
  let spec = cache.specs.get(hash);
  if (!spec) {
    spec = { hash, specKeys: [], blobKeys: [], missingBlobKeys: [], lastModified: 0, inIndex: false };
    cache.specs.set(hash, spec);
  }
  return spec;
}

function parseDatabase(cache: BuildCache, text: string): void {
  try {
    const value = JSON.parse(text) as unknown;
    const problem = checkDatabase(value);
    if (problem) {
      cache.index.status = "unreadable";
      cache.index.problem = problem;
      return;
    }
    cache.index.status = "ok";
    cache.index.text = text;
    cache.index.database = value as SpackDatabase;
  } catch (error) {
    cache.index.status = "unreadable";
    cache.index.problem = `not JSON: ${(error as Error).message}`;
  }
}

async function classifyV2(cache: BuildCache, storage: CacheStorage): Promise<void> {
  for (const object of cache.objects) {
    const { key } = object;
    if (key.startsWith("build_cache/_pgp/") || key === V2_INDEX_KEY || key === V2_INDEX_HASH_KEY) {
      cache.protectedKeys.add(key);
      continue;
    }
    const specFile = V2_SPEC_FILE.exec(key);
    if (specFile) {
      const spec = specOf(cache, specFile[2]!);
      spec.specKeys.push(key);
      spec.lastModified = Math.max(spec.lastModified, object.lastModified);
      continue;
    }
    const tarball = V2_TARBALL.exec(key);
    if (tarball) {
      const spec = specOf(cache, tarball[3]!);
      spec.tarballKey = key;
      spec.lastModified = Math.max(spec.lastModified, object.lastModified);
      const folder = tarball[1]?.split("/").pop();
      if (folder && !spec.name) Object.assign(spec, splitNameVersion(folder));
      continue;
    }
    cache.unknownKeys.push(key);
  }
  for (const spec of cache.specs.values()) {
    if (spec.specKeys.length === 0)
      cache.orphanCandidates.push({ key: spec.tarballKey!, kind: "orphan-tarball", hash: spec.hash });
    else if (!spec.tarballKey)
      for (const key of spec.specKeys)
        cache.orphanCandidates.push({ key, kind: "orphan-spec-file", hash: spec.hash });
  }
  if (!cache.objectsByKey.has(V2_INDEX_KEY)) return;
  const bytes = await storage.get(V2_INDEX_KEY);
  if (!bytes) return;
  const text = decoder.decode(bytes);
  parseDatabase(cache, text);
  const hashBytes = cache.objectsByKey.has(V2_INDEX_HASH_KEY)
    ? await storage.get(V2_INDEX_HASH_KEY)
    : undefined;
  if (cache.index.status !== "ok") return;
  cache.index.hashStatus = !hashBytes
    ? "missing"
    : decoder.decode(hashBytes).trim() === sha256Hex(bytes)
      ? "ok"
      : "mismatch";
  if (cache.index.hashStatus !== "ok")
    cache.warnings.push({
      file: V2_INDEX_HASH_KEY,
      code: cache.index.hashStatus === "missing" ? "INDEX_HASH_MISSING" : "INDEX_HASH_MISMATCH",
      message: `${V2_INDEX_HASH_KEY} ${cache.index.hashStatus === "missing" ? "is missing" : `does not match ${V2_INDEX_KEY}`} (a run that died between writing the two leaves this); Spack clients may keep a stale copy of the index.`,
      hint: "prune --apply writes it anew, even when nothing is to be deleted",
    });
}

async function classifyV3(
  cache: BuildCache,
  storage: CacheStorage,
  options: ReadBuildCacheOptions,
): Promise<void> {
  const blobs: string[] = [];
  const otherManifests: string[] = [];
  for (const object of cache.objects) {
    const { key } = object;
    if (key === V3_LAYOUT_KEY) {
      cache.protectedKeys.add(key);
      continue;
    }
    if (key.startsWith("v3/manifests/key/")) {
      cache.protectedKeys.add(key);
      otherManifests.push(key);
      continue;
    }
    if (key === V3_INDEX_MANIFEST_KEY) {
      cache.protectedKeys.add(key);
      continue;
    }
    const manifest = V3_SPEC_MANIFEST.exec(key);
    if (manifest) {
      const spec = specOf(cache, manifest[3]!);
      spec.name = manifest[1]!;
      spec.version = manifest[2]!.startsWith(`${spec.name}-`)
        ? manifest[2]!.slice(spec.name.length + 1)
        : manifest[2]!;
      spec.specKeys.push(key);
      spec.lastModified = Math.max(spec.lastModified, object.lastModified);
      continue;
    }
    if (V3_BLOB.test(key)) {
      blobs.push(key);
      continue;
    }
    cache.unknownKeys.push(key);
  }
  // Content-addressed blobs say nothing about their owner: every manifest must be read once.
  const specManifests = [...cache.specs.values()].flatMap((spec) =>
    spec.specKeys.map((key) => ({ key, spec })),
  );
  const reads = [
    ...specManifests,
    ...otherManifests.map((key) => ({ key, spec: undefined })),
    ...(cache.objectsByKey.has(V3_INDEX_MANIFEST_KEY)
      ? [{ key: V3_INDEX_MANIFEST_KEY, spec: undefined }]
      : []),
  ];
  let done = 0;
  const parsed = await mapWithConcurrency(reads, options.concurrency ?? 16, async ({ key }) => {
    const bytes = await storage.get(key);
    options.onProgress?.({ phase: "read", done: ++done, total: reads.length });
    if (!bytes) return { error: "disappeared while reading" };
    try {
      return { entries: parseManifest(decoder.decode(bytes)) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  });
  for (const [position, { key, spec }] of reads.entries()) {
    const result = parsed[position]!;
    if (!result.entries) {
      if (key === V3_INDEX_MANIFEST_KEY) {
        cache.index.status = "unreadable";
        cache.index.problem = result.error;
        continue;
      }
      cache.blobOrphansUnknown = true;
      cache.warnings.push({
        file: key,
        code: "MANIFEST_UNREADABLE",
        message: `cannot read manifest: ${result.error}; orphan blobs are not collected in this run.`,
      });
      continue;
    }
    for (const entry of result.entries) {
      const blob = blobKey(entry.checksum);
      const referrers = cache.blobReferrers.get(blob) ?? new Set<string>();
      cache.blobReferrers.set(blob, referrers);
      referrers.add(key);
      if (!spec) cache.protectedKeys.add(blob);
      else {
        spec.blobKeys.push(blob);
        if (!cache.objectsByKey.has(blob)) spec.missingBlobKeys.push(blob);
      }
    }
    if (key === V3_INDEX_MANIFEST_KEY) {
      const entry = result.entries.find((item) => item.mediaType.startsWith("application/vnd.spack.db"));
      if (!entry) {
        cache.index.status = "unreadable";
        cache.index.problem = "the index manifest lists no database blob";
        continue;
      }
      cache.index.blobKey = blobKey(entry.checksum);
      cache.index.mediaType = entry.mediaType;
      const bytes = await storage.get(cache.index.blobKey);
      if (!bytes) {
        cache.index.status = "unreadable";
        cache.index.problem = `its blob ${cache.index.blobKey} is missing`;
        continue;
      }
      parseDatabase(cache, decoder.decode(bytes));
    }
  }
  for (const spec of cache.specs.values())
    if (spec.missingBlobKeys.length > 0)
      for (const key of spec.specKeys)
        cache.orphanCandidates.push({ key, kind: "orphan-manifest", hash: spec.hash });
  if (!cache.blobOrphansUnknown)
    for (const key of blobs)
      if (!cache.blobReferrers.has(key)) cache.orphanCandidates.push({ key, kind: "orphan-blob" });
}
