import { renderYaml } from "@spacktainers/core";

/**
 * A fast path for core's `renderYaml` on the plain data of GitLab jobs: the `yaml` package
 * renders about 1 MB of YAML per second, and 10 000 Spack jobs make ~6 MB. This emitter
 * produces the same bytes for the values it understands (strings of a conservative character
 * set, numbers, booleans, lists, mappings) and gives up — the caller then uses `renderYaml` —
 * for anything else. Tests check byte equality on every real Spack job and on synthetic ones.
 */
class Unsupported extends Error {}

/** Printable ASCII, not starting with an indicator (`-`, `?`, `:` only before a non-space), no edge spaces. */
const PLAIN = /^(?:[^\s\-?:,[\]{}#&*!|>'"%@`]|[-?:][!-~])(?:[ -~]*[!-~])?$/;
/** Strings YAML 1.2 (core schema) would read as null, bool, int or float: double-quoted. */
const NOT_A_STRING =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** Printable ASCII. */
const PRINTABLE = /^[ -~]*$/;

function scalar(value: unknown): string {
  if (typeof value === "string") {
    // Keys over 1024 characters become explicit `? key` entries.
    if (value.length > 1000) throw new Unsupported();
    if (value === "") return '""';
    if (NOT_A_STRING.test(value)) return `"${value}"`;
    // Document markers and the merge key: left to the \`yaml\` package.
    if (value.startsWith("---") || value.startsWith("...") || value === "<<") throw new Unsupported();
    // `key: value`, ` #comment` and a trailing `:` would read differently.
    const plain = PLAIN.test(value) && !value.includes(": ") && !value.includes(" #") && !value.endsWith(":");
    if (plain) return value;
    if (!PRINTABLE.test(value)) throw new Unsupported();
    // As `yaml` quotes: double quotes, or single ones when that avoids escaping a `"`.
    if (!value.includes('"')) return `"${value.replaceAll("\\", "\\\\")}"`;
    if (!value.includes("'")) return `'${value}'`;
    throw new Unsupported();
  }
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  throw new Unsupported();
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function emit(value: unknown, indent: string, lines: string[], prefix: string): void {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Unsupported();
    for (const item of value) {
      if (isPlainObject(item) || Array.isArray(item)) {
        // `- key: value` then the rest of the mapping aligned under the first key.
        const nested: string[] = [];
        emit(item, `${indent}  `, nested, "");
        if (nested.length === 0) throw new Unsupported();
        lines.push(`${prefix}${indent}- ${nested[0]!.slice(indent.length + 2)}`);
        for (const line of nested.slice(1)) lines.push(line);
      } else {
        lines.push(`${indent}- ${scalar(item)}`);
      }
      prefix = "";
    }
    return;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) throw new Unsupported();
    for (const [key, item] of entries) {
      const name = scalar(key);
      if (Array.isArray(item)) {
        lines.push(`${indent}${name}:`);
        emit(item, `${indent}  `, lines, "");
      } else if (isPlainObject(item)) {
        lines.push(`${indent}${name}:`);
        emit(item, `${indent}  `, lines, "");
      } else {
        lines.push(`${indent}${name}: ${scalar(item)}`);
      }
    }
    return;
  }
  throw new Unsupported();
}

/** The fast rendering, or undefined when the data holds something it does not handle. */
export function renderJobYamlFast(name: string, job: Record<string, unknown>): string | undefined {
  try {
    const lines: string[] = [];
    emit({ [name]: job }, "", lines, "");
    return `${lines.join("\n")}\n`;
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/**
 * Renders a one-key mapping `{ [name]: job }` exactly as core's `renderYaml` would, fast when
 * it can. The result ends with a newline.
 */
export function renderJobYaml(name: string, job: Record<string, unknown>): string {
  const fast = renderJobYamlFast(name, job);
  return fast ?? renderYaml({ [name]: job });
}

/** A job with its keys in the order core's `renderPipelineYaml` writes them (core's own function). */
export { orderJobKeys } from "@spacktainers/core";
