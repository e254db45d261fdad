/**
 * A string with the same characters that does not point into another string. V8 represents
 * `text.slice(a, b)` as a view of `text` (a "sliced string"), and js-yaml builds every scalar
 * that way: keeping one variable of a parsed file kept the whole file's text alive (on the
 * 50 MB benchmark input, 100 MB of texts for the jobs kept). Prefixing a character forces a
 * flat copy; slicing it off again views that small copy, not the file.
 */
function detachString(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/**
 * A deep copy of data js-yaml parsed whose strings no longer point into the file's text, so the
 * text can be collected while the copy is kept. Values shared through the file's anchors stay
 * shared: `copies` maps each collection already copied (pass the same map for one file).
 */
export function copyWithoutSource<T>(value: T, copies: Map<object, unknown>): T {
  if (typeof value === "string") return detachString(value) as T;
  if (typeof value !== "object" || value === null) return value;
  const known = copies.get(value);
  if (known !== undefined) return known as T;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const item of value) copy.push(copyWithoutSource(item, copies));
    return copy as T;
  }
  const copy: Record<string, unknown> = {};
  copies.set(value, copy);
  for (const key in value) copy[key] = copyWithoutSource((value as Record<string, unknown>)[key], copies);
  return copy as T;
}
