import type { BuildCache } from "./read-build-cache.js";
import type { Protection } from "./read-protection.js";

/** The dependency graph of a cache and its protection, as the rules walk it. */
export type SpecGraph = {
  /** The specs that depend directly on `hash` (from the index). */
  dependentsOf(hash: string): readonly string[];
  /** `name@version/hash` when known, else the hash. */
  labelOf(hash: string): string;
  /** Every protected hash: the named ones and everything they depend on. */
  protectedHashes: Set<string>;
};

/** Display name of a spec: `name@version/hash`, or the hash alone. */
export function specLabel(
  spec: { hash: string; name?: string; version?: string } | undefined,
  hash: string,
): string {
  if (!spec?.name) return hash;
  return `${spec.name}${spec.version ? `@${spec.version}` : ""}/${hash}`;
}

/** Builds the reverse dependency map and the protected closure (index and lockfile edges both count). */
export function buildSpecGraph(cache: BuildCache, protection: Protection): SpecGraph {
  const dependents = new Map<string, string[]>();
  for (const spec of cache.indexed.values())
    for (const dependency of spec.dependencies) {
      const list = dependents.get(dependency) ?? [];
      dependents.set(dependency, list);
      list.push(spec.hash);
    }
  const protectedHashes = new Set<string>();
  const stack = [...protection.hashes];
  while (stack.length > 0) {
    const hash = stack.pop()!;
    if (protectedHashes.has(hash)) continue;
    protectedHashes.add(hash);
    stack.push(
      ...(cache.indexed.get(hash)?.dependencies ?? []),
      ...(protection.dependencies.get(hash) ?? []),
    );
  }
  return {
    dependentsOf: (hash) => dependents.get(hash) ?? [],
    labelOf: (hash) => specLabel(cache.specs.get(hash) ?? cache.indexed.get(hash), hash),
    protectedHashes,
  };
}
