import { naturalCompare } from "@spacktainers/core";
import type { SpackJob } from "./parse-spack-pipeline.js";

/** Keywords the split replaces or drops (stage, needs, runner settings): their differences do not matter. */
const REPLACED_KEYWORDS = new Set(["needs", "stage", "tags", "retry", "when", "dependencies"]);

type Rebase = (text: string) => string;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Results of comparing two collections, by identity: Spack's anchors make every job of a file
 * share one script, image, artifacts and retry, so each pair of files compares them once.
 */
export type SameValueMemo = WeakMap<object, WeakMap<object, boolean>>;

function sameValue(a: unknown, rebaseA: Rebase, b: unknown, rebaseB: Rebase, memo?: SameValueMemo): boolean {
  if (typeof a === "string") return typeof b === "string" && (a === b || rebaseA(a) === rebaseB(b));
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return a === b;
  const known = memo?.get(a)?.get(b);
  if (known !== undefined) return known;
  let same: boolean;
  if (Array.isArray(a)) {
    same =
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, rebaseA, b[index], rebaseB, memo));
  } else if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    same =
      keys.length === Object.keys(b).length &&
      keys.every((key) => key in b && sameValue(a[key], rebaseA, b[key], rebaseB, memo));
  } else {
    same = false;
  }
  if (memo) {
    let byB = memo.get(a);
    if (!byB) {
      byB = new WeakMap();
      memo.set(a, byB);
    }
    byB.set(b, same);
  }
  return same;
}

/**
 * Keys in which two copies of one spec's job differ, `variables.<NAME>` for a variable, in
 * natural order; empty when they build alike. Strings are compared after each copy's paths
 * under its own artifacts root are rebased to one place (`rebase*`): two containers legitimately
 * keep logs in their own folders. Stage and needs differ legitimately too (each container's
 * pipeline was generated for its own environment) and are not compared.
 */
export function differingJobKeys(
  a: SpackJob,
  rebaseA: Rebase,
  b: SpackJob,
  rebaseB: Rebase,
  memo?: SameValueMemo,
): string[] {
  if (a.body === b.body) return [];
  const differing: string[] = [];
  const compare = (key: string): void => {
    if (REPLACED_KEYWORDS.has(key)) return;
    const valueA = a.body[key];
    const valueB = b.body[key];
    if (key === "variables" && isRecord(valueA) && isRecord(valueB)) {
      for (const name in valueA) {
        const same =
          name in valueB &&
          sameValue(String(valueA[name] ?? ""), rebaseA, String(valueB[name] ?? ""), rebaseB);
        if (!same) differing.push(`variables.${name}`);
      }
      for (const name in valueB) if (!(name in valueA)) differing.push(`variables.${name}`);
    } else if (!sameValue(valueA, rebaseA, valueB, rebaseB, memo)) {
      differing.push(key);
    }
  };
  // Each key once: a's, then those only b has (this runs for every copy of every shared job).
  for (const key in a.body) compare(key);
  for (const key in b.body) if (!(key in a.body)) compare(key);
  return differing.length > 1 ? differing.sort(naturalCompare) : differing;
}
