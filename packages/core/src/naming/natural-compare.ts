const collator = new Intl.Collator("en", { numeric: true, sensitivity: "variant", caseFirst: "lower" });

/**
 * Natural order: `stage-2` before `stage-10`. Ties broken by code-unit order so the result
 * never depends on the locale of the machine.
 */
export function naturalCompare(a: string, b: string): number {
  const byCollator = collator.compare(a, b);
  if (byCollator !== 0) return byCollator;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy of `values`, in natural order. */
export function naturalSort<T extends string>(values: Iterable<T>): T[] {
  return [...values].sort(naturalCompare);
}
