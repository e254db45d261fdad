/**
 * Parse steps of typed flags (`FlagSpec.parse`): each returns a function that turns the text of
 * a flag into its value or throws an `Error` saying what is wrong, which the CLI reports as a
 * usage error naming the flag.
 */

/**
 * The range a numeric option accepts. A library declares it beside its options and checks
 * programmatic calls with {@link checkNumberRange}; its CLI flag parses with
 * {@link numberFlag} of the same range, so the two never disagree.
 */
export type NumberRange = {
  /** Smallest accepted value (inclusive). */
  min?: number;
  /** Largest accepted value (inclusive). */
  max?: number;
  /** Only whole numbers. */
  integer?: boolean;
};

/** `a number ≥ 0`, `a whole number between 1 and 64`: the range in words. */
export function describeNumberRange({ min, max, integer }: NumberRange): string {
  const kind = integer ? "a whole number" : "a number";
  if (min !== undefined && max !== undefined) return `${kind} between ${min} and ${max}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/** What is wrong with `value` for `range`, or undefined when it fits. */
export function checkNumberRange(value: number, range: NumberRange): string | undefined {
  const fits =
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    (range.min === undefined || value >= range.min) &&
    (range.max === undefined || value <= range.max);
  return fits ? undefined : `takes ${describeNumberRange(range)}, got ${value}`;
}

/** A number flag within `range` (`--max-delete-fraction 0.5`). */
export function numberFlag(range: NumberRange = {}): (text: string) => number {
  return (text) => {
    const value = text.trim() === "" ? Number.NaN : Number(text);
    if (checkNumberRange(value, range) !== undefined)
      throw new Error(`takes ${describeNumberRange(range)}, got ${JSON.stringify(text)}`);
    return value;
  };
}

/**
 * One of a fixed list of words (`--format mermaid|dot`), typed as their union. Make it a
 * constant outside the flag table (`const parseFormat = choiceFlag(["mermaid", "dot"])`): a
 * generic call inside `defineCommand`'s argument stops TypeScript 5.9 inferring the table.
 */
export function choiceFlag<const C extends string>(choices: readonly C[]): (text: string) => C {
  return (text) => {
    if (!(choices as readonly string[]).includes(text))
      throw new Error(`takes one of ${choices.join(", ")}, got ${JSON.stringify(text)}`);
    return text as C;
  };
}

/** An ISO 8601 instant (`--now 2026-01-31T12:00:00Z`) as a `Date`. */
export function dateFlag(text: string): Date {
  // Date.parse also reads "March 7" or "1"; only ISO 8601 forms are reproducible.
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())
    ? new Date(text.trim())
    : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw new Error(`takes an ISO 8601 date such as 2026-01-31T12:00:00Z, got ${JSON.stringify(text)}`);
  return date;
}

const DURATION_UNITS = { s: 1 / 60, m: 1, h: 60, d: 24 * 60 } as const;

/**
 * A duration (`90`, `45s`, `15m`, `2h`, `7d`) converted to minutes or days; a bare number is in
 * that unit, so `--orphan-grace 60` keeps meaning 60 minutes.
 */
export function durationFlag({
  unit,
  ...range
}: NumberRange & { unit: "minutes" | "days" }): (text: string) => number {
  const perUnit = unit === "days" ? DURATION_UNITS.d : DURATION_UNITS.m;
  return (text) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
    const suffix = match?.[2]?.toLowerCase() as keyof typeof DURATION_UNITS | "" | undefined;
    const value = match
      ? suffix
        ? (Number(match[1]) * DURATION_UNITS[suffix]) / perUnit
        : Number(match[1])
      : Number.NaN;
    if (checkNumberRange(value, range) !== undefined)
      throw new Error(
        `takes a duration in ${unit} (${describeNumberRange(range)}; or with a unit: 45s, 15m, 2h, 7d), got ${JSON.stringify(text)}`,
      );
    return value;
  };
}

/** What {@link keyValueFlag} accepts besides `KEY=VALUE`. */
export type KeyValueRule = {
  /** The form of a key (whole match), e.g. `/^[a-z0-9][a-z0-9-]*$/`; default any non-empty key. */
  key?: RegExp;
  /** That form in words, for the message (`a key of a-z 0-9 -`). */
  keyRule?: string;
};

/**
 * A `KEY=VALUE` pair (`--metadata digest=sha256:…`, `--variable A=1`), split at the first `=`,
 * as a `[key, value]` entry: a repeated flag's values go straight into `Object.fromEntries`.
 */
export function keyValueFlag({ key, keyRule }: KeyValueRule = {}): (text: string) => [string, string] {
  return (text) => {
    const at = text.indexOf("=");
    const name = text.slice(0, at);
    if (at <= 0 || (key !== undefined && !key.test(name)))
      throw new Error(`takes KEY=VALUE${keyRule ? ` with ${keyRule}` : ""}, got ${JSON.stringify(text)}`);
    return [name, text.slice(at + 1)];
  };
}
