import type { Warning } from "@spacktainers/core";
import { isAlwaysKept } from "./is-always-kept.js";
import type { PlannedDeletion, PlanPruneOptions, ProtectedSpec, PruneReason } from "./plan-prune.js";
import type { BuildCache, CacheSpec, OrphanKind } from "./read-build-cache.js";
import type { SpecSelection } from "./select-specs.js";
import type { SpecGraph } from "./spec-graph.js";

const ORPHAN_DETAIL: Record<OrphanKind, string> = {
  "orphan-tarball": "no spec file",
  "orphan-spec-file": "no tarball",
  "orphan-manifest": "some of its blobs are missing",
  "orphan-blob": "no manifest references it",
};

/** The objects a plan deletes, by key, as they are gathered. */
class Deletions {
  readonly byKey = new Map<string, PlannedDeletion>();
  /** v2 spec files and v3 manifests deleted (their blobs may follow). */
  readonly manifests = new Set<string>();

  constructor(
    private readonly cache: BuildCache,
    private readonly graph: SpecGraph,
  ) {}

  /** Adds one listed object, unless already planned or never deletable. */
  add(key: string, reason: PruneReason, hash?: string, detail?: string): void {
    const object = this.cache.objectsByKey.get(key);
    if (!object || this.byKey.has(key) || this.cache.protectedKeys.has(key) || isAlwaysKept(key)) return;
    this.byKey.set(key, {
      key,
      size: object.size,
      reason,
      ...(hash ? { hash, spec: this.graph.labelOf(hash) } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  /** A whole spec: its spec files or manifest, and its tarball. */
  addSpec(spec: CacheSpec, reason: PruneReason, detail?: string): void {
    for (const key of spec.specKeys) {
      this.add(key, reason, spec.hash, detail);
      this.manifests.add(key);
    }
    if (spec.tarballKey) this.add(spec.tarballKey, reason, spec.hash, detail);
  }
}

/**
 * Orphans past the grace period whose absent partner the store confirmed; protected ones are
 * recorded as kept. Returns how many candidates were too recent.
 */
function addOrphans(
  deletions: Deletions,
  input: { cache: BuildCache; graph: SpecGraph; kept: Map<string, ProtectedSpec> },
  graceLimit: number,
  confirmedOrphans: Set<string>,
): number {
  const { cache, graph, kept } = input;
  let recent = 0;
  for (const candidate of cache.orphanCandidates) {
    if (deletions.byKey.has(candidate.key)) continue;
    if (cache.objectsByKey.get(candidate.key)!.lastModified > graceLimit) {
      recent++;
      continue;
    }
    // Never on the listing's word alone: the partner was asked for and is really absent.
    if (!confirmedOrphans.has(candidate.key)) continue;
    const detail = ORPHAN_DETAIL[candidate.kind];
    if (candidate.hash && graph.protectedHashes.has(candidate.hash)) {
      if (!kept.has(candidate.hash))
        kept.set(candidate.hash, {
          hash: candidate.hash,
          spec: graph.labelOf(candidate.hash),
          wouldBe: candidate.kind,
          detail,
        });
      continue;
    }
    deletions.add(candidate.key, candidate.kind, candidate.hash, detail);
    if (candidate.kind === "orphan-manifest") deletions.manifests.add(candidate.key);
  }
  return recent;
}

/** v3: a deleted manifest takes its blobs along, unless a surviving manifest references them. */
function addUnreferencedBlobs(deletions: Deletions, cache: BuildCache): void {
  for (const manifest of deletions.manifests) {
    const deletion = deletions.byKey.get(manifest);
    const spec = deletion?.hash ? cache.specs.get(deletion.hash) : undefined;
    if (!deletion || !spec) continue;
    for (const blob of spec.blobKeys) {
      const referrers = cache.blobReferrers.get(blob);
      if (referrers && [...referrers].every((referrer) => deletions.manifests.has(referrer)))
        deletions.add(blob, deletion.reason, deletion.hash, deletion.detail);
    }
  }
}

/**
 * Every object to delete, sorted by key: the selected specs' objects, confirmed orphans (unless
 * `orphans: false`), and v3 blobs no surviving manifest references. Warnings are appended.
 */
export function collectDeletions(input: {
  cache: BuildCache;
  graph: SpecGraph;
  selection: SpecSelection;
  options: PlanPruneOptions;
  confirmedOrphans: Set<string>;
  warnings: Warning[];
}): PlannedDeletion[] {
  const { cache, options } = input;
  const deletions = new Deletions(cache, input.graph);
  for (const [hash, selection] of input.selection.selected) {
    const spec = cache.specs.get(hash);
    if (spec) deletions.addSpec(spec, selection.reason, selection.detail);
  }
  if (options.orphans !== false) {
    const graceMinutes = options.orphanGraceMinutes ?? 60;
    const graceLimit = options.now.getTime() - graceMinutes * 60_000;
    const recent = addOrphans(
      deletions,
      { cache, graph: input.graph, kept: input.selection.kept },
      graceLimit,
      input.confirmedOrphans,
    );
    if (recent > 0)
      input.warnings.push({
        file: cache.location,
        code: "ORPHANS_TOO_RECENT",
        message: `${recent} orphan candidate(s) were modified less than ${graceMinutes} minutes before the run and are kept (pushes may be in flight).`,
      });
  }
  if (cache.layout === "v3") addUnreferencedBlobs(deletions, cache);
  return [...deletions.byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
