import { createHash } from "node:crypto";
import { formatPythonJson, type MemoryObject, PYTHON_COMPACT, PYTHON_MANIFEST } from "../src/index.js";

/** A seeded PRNG (mulberry32): the same seed gives the same cache. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** One spec of a synthetic cache. */
export type SyntheticSpec = {
  hash: string;
  name: string;
  version: string;
  arch: string;
  compiler: string;
  dependencies: string[];
  lastModified: number;
  specKey: string;
  tarballKey: string;
};

export interface SyntheticCacheOptions {
  specs: number;
  seed: number;
  /** Modification times are spread over the `ageDays` days before `now`. */
  now: Date;
  ageDays?: number;
  /** Distinct package names (default specs / 4). */
  packages?: number;
  /** Bytes of each tarball (default 32). */
  tarballSize?: number;
  /** v3: half the names get an `-ng` sibling (`pkg3/` beside `pkg3-ng/`), as `zlib`/`zlib-ng`. */
  dashedNames?: boolean;
}

const ARCHES = ["linux-ubuntu22.04-x86_64_v3", "linux-ubuntu22.04-neoverse_v1", "linux-rhel8-zen2"];
const COMPILERS = ["gcc-12.2.0", "gcc-13.2.0", "clang-17.0.6"];

/**
 * A layout-v2 cache like a real one: spec files at the top of build_cache/, tarballs spread over
 * `<arch>/<compiler>/<name>-<version>/` folders, and a compact index.json (Spack ≥ 0.20) listing
 * every spec with its dependencies.
 */
export function generateV2Cache(options: SyntheticCacheOptions): {
  objects: Map<string, MemoryObject>;
  specs: SyntheticSpec[];
} {
  const random = createRandom(options.seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const packages = Math.max(1, options.packages ?? Math.ceil(options.specs / 4));
  const now = options.now.getTime();
  const ageMs = (options.ageDays ?? 365) * 86_400_000;
  const specs: SyntheticSpec[] = [];
  const hashes = new Set<string>();
  for (let index = 0; index < options.specs; index++) {
    let hash = "";
    do hash = Array.from({ length: 32 }, () => BASE32[Math.floor(random() * 32)]).join("");
    while (hashes.has(hash));
    hashes.add(hash);
    const name = `pkg-${Math.floor(random() * packages)}`;
    const version = `${1 + Math.floor(random() * 3)}.${Math.floor(random() * 10)}`;
    const arch = pick(ARCHES);
    const compiler = pick(COMPILERS);
    const dependencies = new Set<string>();
    const count = index === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < count; k++) dependencies.add(specs[Math.floor(random() * index)]!.hash);
    const stem = `${arch}-${compiler}-${name}-${version}-${hash}`;
    specs.push({
      hash,
      name,
      version,
      arch,
      compiler,
      dependencies: [...dependencies],
      lastModified: Math.round(now - random() * ageMs),
      specKey: `build_cache/${stem}.spec.json`,
      tarballKey: `build_cache/${arch}/${compiler}/${name}-${version}/${stem}.spack`,
    });
  }
  const encoder = new TextEncoder();
  const objects = new Map<string, MemoryObject>();
  const installs: Record<string, unknown> = {};
  const byHash = new Map(specs.map((spec) => [spec.hash, spec]));
  const refCounts = new Map<string, number>();
  for (const spec of specs)
    for (const dependency of spec.dependencies)
      refCounts.set(dependency, (refCounts.get(dependency) ?? 0) + 1);
  for (const spec of specs) {
    const [platform, os, target] = spec.arch.split("-") as [string, string, string];
    const node = {
      name: spec.name,
      version: spec.version,
      arch: { platform, platform_os: os, target },
      compiler: { name: spec.compiler.split("-")[0], version: spec.compiler.split("-")[1] },
      namespace: "builtin",
      parameters: {
        build_system: "generic",
        cflags: [],
        cppflags: [],
        cxxflags: [],
        fflags: [],
        ldflags: [],
        ldlibs: [],
      },
      ...(spec.dependencies.length
        ? {
            dependencies: spec.dependencies.map((hash) => ({
              name: byHash.get(hash)!.name,
              hash,
              parameters: { deptypes: ["build", "link"], virtuals: [] },
            })),
          }
        : {}),
      hash: spec.hash,
    };
    installs[spec.hash] = { spec: node, ref_count: refCounts.get(spec.hash) ?? 0, in_buildcache: true };
    objects.set(spec.specKey, {
      body: encoder.encode(
        formatPythonJson({ spec: { _meta: { version: 4 }, nodes: [node] } }, PYTHON_COMPACT),
      ),
      lastModified: spec.lastModified,
    });
    objects.set(spec.tarballKey, {
      body: new Uint8Array(options.tarballSize ?? 32).fill(spec.hash.charCodeAt(0)),
      lastModified: spec.lastModified,
    });
  }
  const index = formatPythonJson({ database: { version: "7", installs } }, PYTHON_COMPACT);
  objects.set("build_cache/index.json", { body: encoder.encode(index), lastModified: now - 3_600_000 });
  objects.set("build_cache/index.json.hash", {
    body: encoder.encode(createHash("sha256").update(index).digest("hex")),
    lastModified: now - 3_600_000,
  });
  objects.set("build_cache/_pgp/index.json", {
    body: encoder.encode('{"keys":{}}'),
    lastModified: now - ageMs,
  });
  return { objects, specs };
}

/**
 * A layout-v3 cache: per spec a manifest under `v3/manifests/spec/<name>/` and two content-
 * addressed blobs (tarball, spec JSON), plus the index blob and manifest. With `dashedNames`,
 * folders like `zlib/` and `zlib-ng/` sit side by side (unpatched s3rver lost keys past them).
 */
export function generateV3Cache(options: SyntheticCacheOptions): {
  objects: Map<string, MemoryObject>;
  hashes: string[];
} {
  const random = createRandom(options.seed);
  const packages = Math.max(1, options.packages ?? Math.ceil(options.specs / 4));
  const now = options.now.getTime();
  const ageMs = (options.ageDays ?? 365) * 86_400_000;
  const encoder = new TextEncoder();
  const objects = new Map<string, MemoryObject>();
  const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  const putBlob = (bytes: Uint8Array, lastModified: number) => {
    const checksum = sha(bytes);
    objects.set(`blobs/sha256/${checksum.slice(0, 2)}/${checksum}`, { body: bytes, lastModified });
    return checksum;
  };
  const entry = (bytes: Uint8Array, checksum: string, mediaType: string, compression: string) => ({
    contentLength: bytes.byteLength,
    mediaType,
    compression,
    checksumAlgorithm: "sha256",
    checksum,
  });
  const installs: Record<string, unknown> = {};
  const hashes: string[] = [];
  for (let index = 0; index < options.specs; index++) {
    let hash = "";
    do hash = Array.from({ length: 32 }, () => BASE32[Math.floor(random() * 32)]).join("");
    while (installs[hash]);
    hashes.push(hash);
    const base = `pkg${Math.floor(random() * packages)}`;
    const name = options.dashedNames && random() < 0.5 ? `${base}-ng` : base;
    const version = `${1 + Math.floor(random() * 3)}.${Math.floor(random() * 10)}`;
    const lastModified = Math.round(now - random() * ageMs);
    const node = { name, version, namespace: "builtin", hash };
    installs[hash] = { spec: node, ref_count: 0, in_buildcache: true };
    const tarball = encoder.encode(`tarball ${hash}`);
    const specJson = encoder.encode(JSON.stringify({ spec: { _meta: { version: 5 }, nodes: [node] } }));
    const manifest = formatPythonJson(
      {
        version: 3,
        data: [
          entry(tarball, putBlob(tarball, lastModified), "application/vnd.spack.install.v2.tar+gzip", "gzip"),
          entry(specJson, putBlob(specJson, lastModified), "application/vnd.spack.spec.v5+json", "gzip"),
        ],
      },
      PYTHON_MANIFEST,
    );
    objects.set(`v3/manifests/spec/${name}/${name}-${version}-${hash}.spec.manifest.json`, {
      body: encoder.encode(manifest),
      lastModified,
    });
  }
  const database = encoder.encode(formatPythonJson({ database: { version: "8", installs } }, PYTHON_COMPACT));
  const indexManifest = formatPythonJson(
    {
      version: 3,
      data: [entry(database, putBlob(database, now - 3_600_000), "application/vnd.spack.db.v8+json", "none")],
    },
    PYTHON_MANIFEST,
  );
  objects.set("v3/manifests/index/index.manifest.json", {
    body: encoder.encode(indexManifest),
    lastModified: now - 3_600_000,
  });
  objects.set("v3/layout.json", { body: encoder.encode('{"signing": "gpg"}'), lastModified: now - ageMs });
  return { objects, hashes };
}
