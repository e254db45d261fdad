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
    for (const [key, value] of common) if (variableOf(item, key) !== value) common.delete(key);
    if (common.size === 0) break;
  }
  return Object.fromEntries(common ?? []);
}
