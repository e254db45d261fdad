import { createHash } from "node:crypto";
import { formatPythonJson, type MemoryObject, PYTHON_COMPACT } from "../src/index.js";

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
