/**
 * Variables with the same value in every item (they go once to the top of each file instead of
 * into every job): the first item's variables, less each one another item does not have with
 * the same value. Only the first item's variables are built; the others are asked one variable
 * at a time, and only for the candidates left.
 */
export function commonVariables<T>(
  items: Iterable<T>,
  variablesOf: (item: T) => Record<string, string>,
  variableOf: (item: T, key: string) => string | undefined,
): Record<string, string> {
  let common: Map<string, string> | undefined;
  for (const item of items) {
    if (!common) {
      common = new Map(Object.entries(variablesOf(item)));
      continue;
    }
    // forEach, not for…of: no [key, value] array per candidate and item (10,000 jobs × ~15).
    common.forEach((value, key) => {
      if (variableOf(item, key) !== value) common!.delete(key);
    });
    if (common.size === 0) break;
  }
  return Object.fromEntries(common ?? []);
}

/**
 * Keywords with the same value in every item (they go once to each file's `default:` instead
 * of into every job): each of `keys` the first item has, less each one another item does not
 * have with an equal value. Values are compared as JSON, once per distinct object: jobs share
 * their container's copies of Spack's anchored lists and mappings.
 */
export function commonKeywords<T, K extends string>(
  items: Iterable<T>,
  keys: readonly K[],
  keywordOf: (item: T, key: K) => unknown,
): Partial<Record<K, unknown>> {
  const json = new WeakMap<object, string>();
  const same = (a: unknown, b: unknown): boolean => {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    const text = (value: object) => {
      let known = json.get(value);
      if (known === undefined) {
        known = JSON.stringify(value);
        json.set(value, known);
      }
      return known;
    };
    return text(a) === text(b);
  };
  let common: Map<K, unknown> | undefined;
  for (const item of items) {
    if (!common) {
      common = new Map();
      for (const key of keys) {
        const value = keywordOf(item, key);
        if (value !== undefined) common.set(key, value);
      }
      continue;
    }
    common.forEach((value, key) => {
      if (!same(keywordOf(item, key), value)) common!.delete(key);
    });
    if (common.size === 0) break;
  }
  return Object.fromEntries(common ?? []) as Partial<Record<K, unknown>>;
}
