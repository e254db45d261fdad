/** One record of a Spack build-cache database (`index.json` in v2, the index blob in v3). */
export type DatabaseRecord = {
  spec: {
    name: string;
    version?: string;
    hash?: string;
    external?: unknown;
    /** Specfile ≥ v3: a list of edges; older specfiles: an object keyed by dependency name. */
    dependencies?: Array<{ name: string; hash: string }> | Record<string, { hash: string }>;
    [field: string]: unknown;
  };
  ref_count?: number;
  in_buildcache?: boolean;
  [field: string]: unknown;
};

/** A parsed Spack database: `{"database": {"version": "8", "installs": {<hash>: record}}}`. */
export type SpackDatabase = {
  database: { version: string; installs: Record<string, DatabaseRecord>; [field: string]: unknown };
  [field: string]: unknown;
};

/** A spec of the index, reduced to what pruning needs. */
export type IndexedSpec = {
  hash: string;
  name: string;
  version: string;
  /** Hashes of its direct dependencies (every dependency type). */
  dependencies: string[];
  /** False for externals and other nodes that only appear as dependencies. */
  inBuildcache: boolean;
};

/** Hashes of a record's direct dependencies, in either specfile format. */
export function recordDependencies(record: DatabaseRecord): string[] {
  const dependencies = record.spec?.dependencies;
  if (!dependencies) return [];
  const edges = Array.isArray(dependencies) ? dependencies : Object.values(dependencies);
  return [
    ...new Set(edges.map((edge) => edge?.hash).filter((hash): hash is string => typeof hash === "string")),
  ];
}

/** Checks the shape of a parsed database; returns a message when it is not one. */
export function checkDatabase(value: unknown): string | undefined {
  const database = (value as SpackDatabase | undefined)?.database;
  if (typeof database !== "object" || database === null) return 'no "database" object';
  if (typeof database.installs !== "object" || database.installs === null)
    return 'no "database.installs" object';
  for (const [hash, record] of Object.entries(database.installs)) {
    if (typeof record?.spec?.name !== "string") return `record ${hash} has no spec name`;
  }
  return undefined;
}

/** The specs of a database, by hash. */
export function readIndexedSpecs(database: SpackDatabase): Map<string, IndexedSpec> {
  const specs = new Map<string, IndexedSpec>();
  for (const [hash, record] of Object.entries(database.database.installs)) {
    specs.set(hash, {
      hash,
      name: record.spec.name,
      version: String(record.spec.version ?? ""),
      dependencies: recordDependencies(record),
      inBuildcache: record.in_buildcache !== false,
    });
  }
  return specs;
}

/**
 * The database Spack's `buildcache update-index` would write once `removed` specs are gone:
 * records of the remaining build-cache specs and of every node they depend on (a removed spec
 * still needed by a remaining one stays, marked `in_buildcache: false`, as Spack adds it from the
 * dependent's spec file), with `ref_count` recounted as the number of dependents. Record order
 * and every other field are kept.
 *
 * `retained` records stay even when nothing needs them (as `in_buildcache: false` when removed):
 * the janitor keeps the records of protected specs whose files are gone, so their dependencies
 * stay known and protected in later runs (Spack itself would drop them).
 */
export function removeFromDatabase(
  database: SpackDatabase,
  removed: ReadonlySet<string>,
  retained: ReadonlySet<string> = new Set(),
): SpackDatabase {
  const installs = database.database.installs;
  const kept = new Set<string>();
  const stack = Object.entries(installs)
    .filter(([hash, record]) => (record.in_buildcache !== false && !removed.has(hash)) || retained.has(hash))
    .map(([hash]) => hash);
  while (stack.length > 0) {
    const hash = stack.pop()!;
    if (kept.has(hash) || !installs[hash]) continue;
    kept.add(hash);
    stack.push(...recordDependencies(installs[hash]!));
  }
  const references = new Map<string, number>();
  for (const hash of kept)
    for (const dependency of recordDependencies(installs[hash]!))
      references.set(dependency, (references.get(dependency) ?? 0) + 1);
  const next: Record<string, DatabaseRecord> = {};
  for (const [hash, record] of Object.entries(installs)) {
    if (!kept.has(hash)) continue;
    const copy: DatabaseRecord = { ...record };
    if ("ref_count" in record) copy.ref_count = references.get(hash) ?? 0;
    if (removed.has(hash) && "in_buildcache" in record) copy.in_buildcache = false;
    next[hash] = copy;
  }
  return { ...database, database: { ...database.database, installs: next } };
}

export interface RewriteDatabaseOptions {
  /** Specs no longer in the build cache. */
  removed: ReadonlySet<string>;
  /** Records kept even when nothing needs them (as `in_buildcache: false` when removed). */
  retained?: ReadonlySet<string>;
  /** Specs listed as in the build cache again (their objects are all there). */
  published?: ReadonlySet<string>;
}

/**
 * The database after a prune: `published` records marked as in the build cache again, then
 * `removeFromDatabase` of the `removed` specs. Record order and every other field are kept.
 */
export function rewriteDatabase(database: SpackDatabase, options: RewriteDatabaseOptions): SpackDatabase {
  let next = database;
  if (options.published?.size) {
    const installs = { ...database.database.installs };
    for (const hash of options.published)
      if (installs[hash]) installs[hash] = { ...installs[hash]!, in_buildcache: true };
    next = { ...database, database: { ...database.database, installs } };
  }
  return removeFromDatabase(next, options.removed, options.retained);
}
