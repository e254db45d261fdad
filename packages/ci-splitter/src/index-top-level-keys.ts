/** A 1-based line and column. */
export type Position = { line: number; col: number };

/** Where the keys of a YAML file's top-level mapping are, found by scanning lines, not by parsing. */
export type TopLevelKeyIndex = {
  /** Where the document's content starts (messages about the whole file point here). */
  root: Position;
  /** Line of each key written at column 1 (the block style Spack ≥ 0.20 writes). */
  keys: Map<string, Position>;
};

/** A key at the start of a line: plain, 'single' or "double" quoted; undefined for anything else. */
function keyOfLine(line: string): string | undefined {
  const first = line[0]!;
  if (first === "'") {
    const end = /^'((?:[^']|'')*)':(?:\s|$)/.exec(line);
    return end ? end[1]!.replaceAll("''", "'") : undefined;
  }
  if (first === '"') {
    const end = /^("(?:[^"\\]|\\.)*"):(?:\s|$)/.exec(line);
    if (!end) return undefined;
    try {
      return JSON.parse(end[1]!) as string;
    } catch {
      return undefined;
    }
  }
  if ("-?:,[]{}#&*!|>%@`".includes(first) || line.startsWith("---") || line.startsWith("..."))
    return undefined;
  const separator = line.indexOf(": ");
  const trimmed = line.trimEnd();
  if (separator > 0) return line.slice(0, separator).trimEnd();
  return trimmed.endsWith(":") ? trimmed.slice(0, -1).trimEnd() : undefined;
}

/**
 * Indexes the top-level keys of a YAML text in one pass over its lines. A job's position is only
 * shown in messages; parsing the file a second time with a located parser to get it cost
 * seconds on 10 000 jobs.
 */
export function indexTopLevelKeys(text: string): TopLevelKeyIndex {
  const keys = new Map<string, Position>();
  let root: Position | undefined;
  let start = 0;
  let line = 1;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const code = text.charCodeAt(start);
    // Not an indented line, an empty one, a comment or a directive.
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13 && code !== 35 && code !== 37) {
      const content = text.slice(start, end);
      if (!root && content !== "---" && !content.startsWith("--- ")) root = { line, col: 1 };
      const key = keyOfLine(content);
      if (key !== undefined && !keys.has(key)) keys.set(key, { line, col: 1 });
    }
    start = end + 1;
    line++;
  }
  return { root: root ?? { line: 1, col: 1 }, keys };
}

/**
 * Position of a top-level key: from the index, or — for flow-style files (Spack 0.19), whose keys
 * are not at the start of a line — where `key:` first occurs in `text`, computed for this key
 * only. Falls back to the document's start.
 */
export function locateKey(index: TopLevelKeyIndex, key: string, text?: string): Position {
  const known = index.keys.get(key);
  if (known) return known;
  const offset = text?.indexOf(`${key}:`) ?? -1;
  if (offset < 0 || !text) return index.root;
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf("\n"); at !== -1 && at < offset; at = text.indexOf("\n", at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, col: offset - lineStart + 1 };
}
