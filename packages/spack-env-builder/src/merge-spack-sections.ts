import type { Problem, SourceLocation } from "@spacktainers/core";

/** A data path inside a `spack:` section, e.g. `["packages", "all", "require"]`. */
export type SectionPath = (string | number)[];

/** Where one side of a merge comes from, to name it in conflict messages. */
export type MergeSource = {
  /** Human name of the source, e.g. `the site template` or `the definition`. */
  label: string;
  /** Location of a path inside this `spack:` section (`file:line:col` when the text is known). */
  locate(path: SectionPath): SourceLocation;
};

export interface MergeSpackSectionsOptions {
  /** The lower layer: the site config's `spack.template.spack`. */
  template: Record<string, unknown>;
  /** The upper layer: the container definition's `spack:` section. */
  definition: Record<string, unknown>;
  /** Where the template is, for messages. */
  templateSource: MergeSource;
  /** Where the definition is, for messages. */
  definitionSource: MergeSource;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Canonical text of a value (keys sorted), to compare list items and scalars structurally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isMapping(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** Concatenates lists, keeping the first occurrence of each item (structural equality). */
export function concatUnique(...lists: readonly unknown[][]): unknown[] {
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const list of lists) {
    for (const item of list) {
      const key = canonical(item);
      if (seen.has(key)) continue;
      seen.add(key);
      result.push(item);
    }
  }
  return result;
}

/**
 * A Spack `require:` value as a list. Spack accepts a string (one requirement), a list of
 * strings and `{one_of|any_of|spec, when, message}` objects; every list item must hold, so two
 * requirement lists combine by concatenation.
 */
export function requirementList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** True for `packages.<name>.require`: requirements are conjunctive and combine instead of conflicting. */
function isRequirePath(path: SectionPath): boolean {
  return path.length === 3 && path[0] === "packages" && path[2] === "require";
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (isMapping(value)) return "a mapping";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function formatWhere(location: SourceLocation): string {
  return location.line === undefined
    ? location.file
    : `${location.file}:${location.line}:${location.col ?? 1}`;
}

/**
 * Deep-merges a definition's `spack:` section over the site template:
 * mappings merge key by key, lists concatenate without duplicates (template items first),
 * equal values stay, `packages.<name>.require` values combine into one list, an empty value
 * (`specs:` with nothing after it) yields to the other side, and a key written `key::` in the
 * definition replaces the template's `key` (Spack's own override syntax). Anything else — two
 * different scalars, a scalar against a mapping or list — is a conflict, reported with the
 * dotted path and both locations. Returns every conflict; `value` is set only when there is none.
 */
export function mergeSpackSections({
  template,
  definition,
  templateSource,
  definitionSource,
}: MergeSpackSectionsOptions): { value?: Record<string, unknown>; problems: Problem[] } {
  const problems: Problem[] = [];

  const merge = (lower: unknown, upper: unknown, path: SectionPath): unknown => {
    if (upper === undefined || upper === null) return lower;
    if (lower === undefined || lower === null) return upper;
    if (isRequirePath(path)) return concatUnique(requirementList(lower), requirementList(upper));
    if (isMapping(lower) && isMapping(upper)) {
      const result: Record<string, unknown> = {};
      const overridden = new Set(
        Object.keys(upper)
          .filter((key) => key.endsWith("::"))
          .map((key) => key.slice(0, -2)),
      );
      for (const [key, value] of Object.entries(lower)) {
        if (!overridden.has(key)) result[key] = value;
      }
      for (const [key, value] of Object.entries(upper)) {
        result[key] = key in result ? merge(result[key], value, [...path, key]) : value;
      }
      return result;
    }
    if (Array.isArray(lower) && Array.isArray(upper)) return concatUnique(lower, upper);
    if (canonical(lower) === canonical(upper)) return lower;
    const dotted = ["spack", ...path].join(".");
    const there = templateSource.locate(path);
    problems.push({
      code: "ENVIRONMENT_CONFLICT",
      message: `${dotted} is ${describe(upper)} in ${definitionSource.label} but ${describe(lower)} in ${templateSource.label} (${formatWhere(there)}); spacktainers cannot merge them`,
      hint: `remove ${dotted} from one of them, or write it as "${String(path[path.length - 1])}::" in the definition to replace the template's value`,
      ...definitionSource.locate(path),
    });
    return lower;
  };

  const value = merge(template, definition, []) as Record<string, unknown>;
  return problems.length > 0 ? { problems } : { value, problems };
}
