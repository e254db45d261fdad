/** How many values a parsed YAML document holds as written and once its aliases are expanded. */
export type YamlValueCount = {
  /** Values as written: a collection, a scalar, each mapping key and each alias count one. */
  written: number;
  /** Values once every alias is replaced by what it stands for. */
  expanded: number;
  /** Top-level key whose value grows the most once expanded (where to point a message). */
  largestKey?: string;
  /** True when an alias stands for a collection that contains it: its expansion never ends. */
  cyclic: boolean;
  /** Top-level key under which that alias is. */
  cyclicKey?: string;
};

/**
 * Counts the values of data js-yaml parsed, with and without alias expansion. js-yaml resolves
 * an alias to the very object of its anchor, so an alias is a repeated reference: counting
 * memoised by identity stays linear in the file even when the expansion is astronomically large
 * (the "billion laughs": nine anchors, each nine aliases of the previous one, stand for 387
 * million values). Scalars are not objects and count one either way, as in core's parseYaml.
 */
export function countYamlValues(data: unknown): YamlValueCount {
  // Size of each collection counted so far; IN_PROGRESS while its own values are counted (one
  // map for both: a lookup per value is most of the cost on a large file).
  const IN_PROGRESS = -1;
  const sizes = new Map<object, number>();
  let written = 0;
  let cyclic = false;
  const sizeOf = (value: unknown): number => {
    written += 1;
    if (typeof value !== "object" || value === null) return 1;
    const known = sizes.get(value);
    if (known === IN_PROGRESS) {
      cyclic = true;
      return 1;
    }
    if (known !== undefined) return known;
    sizes.set(value, IN_PROGRESS);
    let size = 1;
    if (Array.isArray(value)) {
      for (const item of value) size += sizeOf(item);
    } else {
      for (const key in value) {
        written += 1;
        size += 1 + sizeOf((value as Record<string, unknown>)[key]);
      }
    }
    sizes.set(value, size);
    return size;
  };
  if (typeof data !== "object" || data === null || Array.isArray(data))
    return { written: 1, expanded: sizeOf(data), cyclic };
  written = 1;
  let expanded = 1;
  let largestKey: string | undefined;
  let largestGrowth = 0;
  let cyclicKey: string | undefined;
  for (const key in data) {
    const before = written;
    const wasCyclic = cyclic;
    const size = 1 + sizeOf((data as Record<string, unknown>)[key]);
    written += 1;
    expanded += size;
    const growth = size - (written - before);
    if (growth > largestGrowth) {
      largestGrowth = growth;
      largestKey = key;
    }
    if (cyclic && !wasCyclic) cyclicKey = key;
  }
  return {
    written,
    expanded,
    cyclic,
    ...(largestKey === undefined ? {} : { largestKey }),
    ...(cyclicKey === undefined ? {} : { cyclicKey }),
  };
}
