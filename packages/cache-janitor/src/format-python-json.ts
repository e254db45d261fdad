/** The layout of a JSON text written by Python's `json.dumps`. */
export type PythonJsonStyle = {
  /** `indent` argument: undefined for one line, a number of spaces otherwise (0 = newlines only). */
  indent?: number;
  /** Separator after an item (Python: `", "` without indent, `","` with indent or compact). */
  itemSeparator: string;
  /** Separator between a key and its value (`": "` or `":"`). */
  keySeparator: string;
  /** The text ends with a newline. */
  trailingNewline?: boolean;
};

/** `json.dumps(x, indent=2)`: Spack ≤ 0.19's `index.json`. */
export const PYTHON_INDENT_2: PythonJsonStyle = { indent: 2, itemSeparator: ",", keySeparator: ": " };
/** `json.dumps(x, separators=(",", ":"))`: Spack ≥ 0.20's `index.json` and v3 index blobs. */
export const PYTHON_COMPACT: PythonJsonStyle = { itemSeparator: ",", keySeparator: ":" };
/** `json.dumps(x, indent=0, separators=(",", ":"))`: Spack 1.x manifests. */
export const PYTHON_MANIFEST: PythonJsonStyle = { indent: 0, itemSeparator: ",", keySeparator: ":" };

/** Python's `ensure_ascii=True` escapes every character outside printable ASCII. */
function pythonString(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Serialises a value exactly as Python's `json.dumps` does with the given style, so files we
 * rewrite are byte-identical to what Spack writes (its readers check a sha256 of the bytes).
 * Known gap: a float like `1.0` parsed by JavaScript comes back as `1`; Spack's databases hold
 * no floats in build-cache indexes.
 */
export function formatPythonJson(value: unknown, style: PythonJsonStyle): string {
  const { indent, itemSeparator, keySeparator } = style;
  const write = (item: unknown, level: number): string => {
    if (item === null || item === undefined) return "null";
    if (typeof item === "string") return pythonString(item);
    if (typeof item === "number") return Number.isFinite(item) ? String(item) : item > 0 ? "Infinity" : "NaN";
    if (typeof item === "boolean") return item ? "true" : "false";
    const isArray = Array.isArray(item);
    const parts = isArray
      ? (item as unknown[]).map((entry) => write(entry, level + 1))
      : Object.entries(item as Record<string, unknown>).map(
          ([key, entry]) => `${pythonString(key)}${keySeparator}${write(entry, level + 1)}`,
        );
    const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
    if (parts.length === 0) return `${open}${close}`;
    if (indent === undefined) return `${open}${parts.join(itemSeparator)}${close}`;
    const inner = `\n${" ".repeat(indent * (level + 1))}`;
    const outer = `\n${" ".repeat(indent * level)}`;
    return `${open}${inner}${parts.join(`${itemSeparator}${inner}`)}${outer}${close}`;
  };
  return write(value, 0) + (style.trailingNewline ? "\n" : "");
}

/** Guesses the style of a JSON text written by Python, so a rewrite keeps it. */
export function detectPythonJsonStyle(text: string): PythonJsonStyle {
  const trailingNewline = text.endsWith("\n");
  const body = trailingNewline ? text.slice(0, -1) : text;
  if (!/^[{[]\n/.test(body)) {
    const spaced = /^\{"[^"]*": /.test(body);
    return spaced
      ? { itemSeparator: ", ", keySeparator: ": ", trailingNewline }
      : { ...PYTHON_COMPACT, trailingNewline };
  }
  const indent = /^[{[]\n( *)/.exec(body)?.[1]?.length ?? 0;
  const keySeparator = /^[{[]\n *"[^"]*": /.test(body) ? ": " : ":";
  return { indent, itemSeparator: ",", keySeparator, trailingNewline };
}
