import { naturalCompare, orderJobKeys, renderYaml } from "@spacktainers/core";

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
    // Keys over 1024 characters become explicit `? key` entries. A first character past ASCII
    // (PLAIN allows it) is left to `yaml` too, so a fast text's length is its size in bytes.
    if (value.length > 1000 || value.charCodeAt(0) > 126) throw new Unsupported();
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

/** Rendered collections by identity and indent: Spack's anchors make many jobs share one list. */
type Memo = WeakMap<object, Map<string, string>>;

/** The lines of a list or mapping at `indent`, each ending in a newline. */
function block(value: unknown, indent: string, memo?: Memo): string {
  const known =
    memo && typeof value === "object" && value !== null ? memo.get(value)?.get(indent) : undefined;
  if (known !== undefined) return known;
  // Lines joined once: `text +=` built a rope of small strings per job that every later
  // `Buffer.byteLength` and `join` walked, and that kept all its pieces alive.
  const lines: string[] = [];
  if (Array.isArray(value)) {
    if (value.length === 0) throw new Unsupported();
    for (const item of value) {
      // `- key: value` then the rest of the mapping aligned under the first key.
      if (isPlainObject(item) || Array.isArray(item))
        lines.push(`${indent}- ${block(item, `${indent}  `, memo).slice(indent.length + 2)}`);
      else lines.push(`${indent}- ${scalar(item)}\n`);
    }
  } else if (isPlainObject(value)) {
    for (const key in value) {
      const item = value[key];
      if (item === undefined) continue;
      if (Array.isArray(item) || isPlainObject(item))
        lines.push(`${indent}${scalar(key)}:\n${block(item, `${indent}  `, memo)}`);
      else lines.push(`${indent}${scalar(key)}: ${scalar(item)}\n`);
    }
    if (lines.length === 0) throw new Unsupported();
  } else {
    throw new Unsupported();
  }
  const text = lines.join("");
  if (memo && typeof value === "object" && value !== null) {
    const byIndent = memo.get(value) ?? new Map<string, string>();
    byIndent.set(indent, text);
    memo.set(value, byIndent);
  }
  return text;
}

/** What `render` returns, or undefined when the data holds something the fast path does not handle. */
function fastOrUndefined(render: () => string): string | undefined {
  try {
    return render();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

/** The fast rendering, or undefined when the data holds something it does not handle. */
export function renderJobYamlFast(name: string, job: Record<string, unknown>): string | undefined {
  return fastOrUndefined(() => `${scalar(name)}:\n${block(job, "  ")}`);
}

/**
 * A whole document that is a mapping (a chunk file's header), as core's `renderYaml` writes it
 * (a blank line between top-level entries): fast when it can, through `renderYaml` otherwise.
 */
export function renderMappingYaml(value: Record<string, unknown>): string {
  const fast = fastOrUndefined(() =>
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => block({ [key]: item }, ""))
      .join("\n"),
  );
  return fast || renderYaml(value);
}

/**
 * Renders a one-key mapping `{ [name]: job }` exactly as core's `renderYaml` would, fast when
 * it can. The result ends with a newline.
 */
export function renderJobYaml(name: string, job: Record<string, unknown>): string {
  const fast = renderJobYamlFast(name, job);
  return fast ?? renderYaml({ [name]: job });
}

/** `keys` in the order `order` gives, computed once per distinct key list. */
function createKeyOrder(order: (keys: string[]) => string[]): (keys: string[]) => string[] {
  const known = new Map<string, string[]>();
  return (keys) => {
    const signature = keys.join("\u0000");
    let ordered = known.get(signature);
    if (!ordered) {
      ordered = order(keys);
      known.set(signature, ordered);
    }
    return ordered;
  };
}

/** A job's YAML as pieces to concatenate, and its size in bytes. */
export type RenderedJob = { parts: string[]; bytes: number };

/**
 * A renderer of `{ [name]: orderJobKeys(job) }` with the bytes of core's `renderYaml`, for many
 * jobs: key orders are computed once per distinct key list (sorting with a collator per job
 * cost more than the rest of the rendering), and lists and mappings that jobs share (Spack's
 * anchors: scripts, images, artifacts) are rendered once. Values must not change once rendered.
 * A job comes as pieces, joined only into its chunk file: a text per job was one more copy of
 * the whole output, kept alive (and moved by the garbage collector) until its chunk was full.
 */
export function createJobRenderer(): (name: string, job: Record<string, unknown>) => RenderedJob {
  const memo: Memo = new WeakMap();
  const jobKeys = createKeyOrder((keys) =>
    Object.keys(orderJobKeys(Object.fromEntries(keys.map((key) => [key, 0])))),
  );
  const variableKeys = createKeyOrder((keys) => [...keys].sort(naturalCompare));
  const render = (name: string, job: Record<string, unknown>): RenderedJob => {
    const parts = [`${scalar(name)}:\n`];
    for (const key of jobKeys(Object.keys(job))) {
      const value = job[key];
      if (value === undefined) continue;
      if (key === "variables" && isPlainObject(value)) {
        // Unique to each job: sorted and rendered without the memo.
        const variables: Record<string, unknown> = {};
        for (const variable of variableKeys(Object.keys(value))) variables[variable] = value[variable];
        parts.push("  variables:\n", block(variables, "    "));
      } else if (Array.isArray(value) || isPlainObject(value)) {
        parts.push(`  ${scalar(key)}:\n`, block(value, "    ", memo));
      } else {
        parts.push(`  ${scalar(key)}: ${scalar(value)}\n`);
      }
    }
    if (parts.length === 1) throw new Unsupported();
    // The fast path writes printable ASCII only: one byte a character.
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    return { parts, bytes };
  };
  return (name, job) => {
    try {
      return render(name, job);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      const text = renderYaml({ [name]: orderJobKeys(job) });
      return { parts: [text], bytes: Buffer.byteLength(text) };
    }
  };
}

/** A job with its keys in the order core's `renderPipelineYaml` writes them (core's own function). */
export { orderJobKeys };
