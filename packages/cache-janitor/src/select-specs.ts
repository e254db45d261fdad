import { UsageError, type Warning } from "@spacktainers/core";
import type { PendingDeletions } from "./pending-deletions.js";
import type { PlanPruneOptions, ProtectedSpec, PruneReason } from "./plan-prune.js";
import type { BuildCache } from "./read-build-cache.js";
import type { SpecGraph } from "./spec-graph.js";

const DAY_MS = 86_400_000;

/** Why a rule selected a spec. */
export type Selection = { reason: PruneReason; detail?: string };

/** The specs the rules chose, and those protection kept from them. */
export type SpecSelection = {
  /** Hash → the first rule that selected it (a spec keeps its first reason). */
  selected: Map<string, Selection>;
  kept: Map<string, ProtectedSpec>;
};

type SelectContext = {
  cache: BuildCache;
  graph: SpecGraph;
  warnings: Warning[];
  selection: SpecSelection;
};

/** Selects `hash` unless already chosen; protection turns the selection into a kept entry. */
function select(context: SelectContext, hash: string, selection: Selection): void {
  const { selected, kept } = context.selection;
  if (selected.has(hash) || kept.has(hash)) return;
  if (context.graph.protectedHashes.has(hash)) {
    if (context.cache.specs.has(hash))
      kept.set(hash, {
        hash,
        spec: context.graph.labelOf(hash),
        wouldBe: selection.reason,
        detail: selection.detail,
      });
    return;
  }
  selected.set(hash, selection);
}

/** `purge --hash`: full hashes or unique prefixes. */
function selectNamedHashes(context: SelectContext, wanted: readonly string[]): void {
  const { cache } = context;
  for (const name of wanted) {
    const hash = name.replace(/^\//, "");
    const matches = new Set(
      [...cache.specs.keys(), ...cache.indexed.keys()].filter((candidate) => candidate.startsWith(hash)),
    );
    if (matches.size > 1)
      throw new UsageError(
        `hash prefix "${name}" is ambiguous: ${[...matches].sort().slice(0, 5).join(", ")}.`,
      );
    const [match] = matches;
    if (!match || !cache.specs.has(match))
      context.warnings.push({
        file: cache.index.key,
        code: "HASH_NOT_IN_CACHE",
        message: `no spec ${name} in the cache.`,
      });
    if (match) select(context, match, { reason: "purge", detail: "named with --hash" });
  }
}

/** `purge-dependents --package`: every spec depending on the package, recursively. */
function selectDependentsOfPackages(context: SelectContext, names: readonly string[]): void {
  const { cache, graph } = context;
  for (const name of names) {
    const roots = [...cache.indexed.values(), ...cache.specs.values()]
      .filter((spec) => spec.name === name)
      .map((spec) => spec.hash);
    if (roots.length === 0)
      context.warnings.push({
        file: cache.index.key,
        code: "PACKAGE_NOT_IN_CACHE",
        message: `no spec of package "${name}" in the cache.`,
      });
    const seen = new Set(roots);
    const queue = [...roots];
    for (let next = 0; next < queue.length; next++) {
      for (const dependent of graph.dependentsOf(queue[next]!)) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        queue.push(dependent);
        if (cache.specs.has(dependent))
          select(context, dependent, { reason: "depends-on-package", detail: `depends on ${name}` });
      }
    }
  }
}

/** `--max-age`: specs whose newest object is older than the limit. */
function selectOlderThan(context: SelectContext, maxAgeDays: number, now: number): void {
  const limit = now - maxAgeDays * DAY_MS;
  for (const spec of context.cache.specs.values())
    if (spec.lastModified < limit)
      select(context, spec.hash, {
        reason: "max-age",
        detail: `last modified ${new Date(spec.lastModified).toISOString()}, ${Math.floor((now - spec.lastModified) / DAY_MS)} days before the run`,
      });
}

/** `--packages-from`: specs of packages no longer in the list. */
function selectGonePackages(context: SelectContext, packages: Set<string>): void {
  let unnamed = 0;
  for (const spec of context.cache.specs.values()) {
    if (!spec.name) unnamed++;
    else if (!packages.has(spec.name))
      select(context, spec.hash, {
        reason: "package-gone",
        detail: `no package "${spec.name}" in the package list`,
      });
  }
  if (unnamed > 0)
    context.warnings.push({
      file: context.cache.index.key,
      code: "SPEC_NAME_UNKNOWN",
      message: `${unnamed} spec(s) have no known package name (not in the index, no tarball); the package rule skipped them.`,
    });
}

/**
 * An interrupted run's journal, after the rules (a spec they select keeps their reason) and
 * before the cascade, which does not start from it: that run's journal holds the dependents
 * it cascaded to, and the specs it deleted as orphans do not cascade. Returns the hashes selected here.
 */
function selectUnfinished(context: SelectContext, pending: PendingDeletions | undefined): Set<string> {
  const unfinished = new Set<string>();
  for (const hash of pending?.specs ?? [])
    if (context.cache.specs.has(hash) && !context.selection.selected.has(hash)) {
      unfinished.add(hash);
      select(context, hash, {
        reason: "unfinished-run",
        detail: `unpublished by the run of ${pending!.owner} started ${pending!.started}, which did not finish`,
      });
    }
  return unfinished;
}

/** `--cascade`: the dependents of every selected spec (not of `exclude`), recursively. */
function selectDependents(context: SelectContext, exclude: Set<string>): void {
  const { selected, kept } = context.selection;
  const queue = [...selected.keys()].filter((hash) => !exclude.has(hash));
  for (let next = 0; next < queue.length; next++) {
    const hash = queue[next]!;
    for (const dependent of context.graph.dependentsOf(hash)) {
      if (selected.has(dependent) || kept.has(dependent)) continue;
      select(context, dependent, {
        reason: "dependency-deleted",
        detail: `depends on ${context.graph.labelOf(hash)}`,
      });
      // Dependents that are not in the cache still pass the breakage on to theirs.
      if (selected.has(dependent) || !context.cache.specs.has(dependent)) queue.push(dependent);
    }
  }
}

/**
 * Applies the rules in their order of precedence (purge, purge-dependents, max-age, package-gone,
 * an unfinished run's journal, then the cascade); protection always wins. Warnings are appended.
 */
export function selectSpecs(input: {
  cache: BuildCache;
  graph: SpecGraph;
  options: PlanPruneOptions;
  packages: Set<string> | undefined;
  pending: PendingDeletions | undefined;
  warnings: Warning[];
}): SpecSelection {
  const { options } = input;
  const context: SelectContext = {
    cache: input.cache,
    graph: input.graph,
    warnings: input.warnings,
    selection: { selected: new Map(), kept: new Map() },
  };
  selectNamedHashes(context, options.purgeHashes ?? []);
  selectDependentsOfPackages(context, options.purgeDependentsOf ?? []);
  if (options.maxAgeDays !== undefined) selectOlderThan(context, options.maxAgeDays, options.now.getTime());
  if (input.packages) selectGonePackages(context, input.packages);
  const unfinished = selectUnfinished(context, input.pending);
  if (options.cascade !== false) selectDependents(context, unfinished);
  return context.selection;
}
