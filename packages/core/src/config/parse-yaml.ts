import { createRequire } from "node:module";
import type AjvClass from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
} from "yaml";
import type { Problem, SourceLocation } from "../errors/spacktainers-error.js";
import { AJV_OPTIONS, HINT_KEYWORD, PRECOMPILED_SCHEMAS } from "./ajv-options.js";
import { INPUT_LIMITS } from "./input-limits.js";
import { validators as precompiled } from "./schema-validators.generated.js";

/** The schemas of schemas.ts come compiled ahead of time (generate-schema-validators.ts). */
const compiled = new WeakMap<object, ValidateFunction>(
  Object.entries(PRECOMPILED_SCHEMAS).map(([name, schema]) => [
    schema,
    precompiled[name as keyof typeof PRECOMPILED_SCHEMAS] as ValidateFunction,
  ]),
);
/**
 * Any other schema is compiled on first use, with the same options. ajv itself is loaded then
 * too: loading it costs about 0.1 s, which a bin checking only these schemas does not pay.
 */
let ajv: AjvClass | undefined;

function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    if (!ajv) {
      // ajv is CommonJS; under some loaders the class sits on `.default`.
      const loaded = createRequire(import.meta.url)("ajv") as { default?: typeof AjvClass };
      const Ajv = (loaded.default ?? loaded) as typeof AjvClass;
      ajv = new Ajv(AJV_OPTIONS);
      ajv.addKeyword(HINT_KEYWORD);
    }
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** A parsed YAML document with the means to turn a data path into `file:line:col`. */
export type ParsedYaml = {
  /** The `yaml` document (keeps source ranges). */
  document: Document;
  /** Location of the node at a data path (`["spack", "specs", 0]`), or of the closest parent. */
  locate(path: readonly (string | number)[], which?: "key" | "value"): SourceLocation;
};

export interface ParseYamlOptions {
  /** The file's text. */
  text: string;
  /** The file's path as shown in messages. */
  file: string;
}

/**
 * Parses YAML keeping source positions. Syntax errors, duplicate keys and multiple documents
 * become located problems; `value` is undefined when the text is not usable.
 */
export function parseYaml({ text, file }: ParseYamlOptions): {
  value: unknown;
  problems: Problem[];
  parsed: ParsedYaml;
} {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const locate: ParsedYaml["locate"] = (path, which = "value") => {
    let node: unknown = document.contents;
    let found: Node | undefined = isNode(node) ? node : undefined;
    for (const segment of path) {
      if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) break;
      const collection = node as { items: unknown[] };
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair || !isPair(pair)) break;
        if (which === "key" && segment === path[path.length - 1] && isNode(pair.key)) {
          found = pair.key;
          break;
        }
        next = pair.value ?? pair.key;
      } else {
        next = collection.items[Number(segment)];
      }
      if (!isNode(next)) break;
      found = next;
      node = next;
    }
    return found?.range ? position(found.range[0]) : { file, line: 1, col: 1 };
  };
  const parsed: ParsedYaml = { document, locate };
  const excerpt = (offset: number): string => {
    const { line } = lineCounter.linePos(offset);
    const start = lineCounter.lineStarts[line - 1] ?? 0;
    const end = text.indexOf("\n", start);
    return text.slice(start, end === -1 ? undefined : end).replace(/\r$/, "");
  };
  // yaml reports some errors at the start of a line: point at its first character instead, or,
  // on a blank line (an unclosed "[" at the end of the file), just after the text before it.
  const firstCharacter = (offset: number, code: YAMLError["code"]): number => {
    if (code === "TAB_AS_INDENT" || (offset > 0 && text[offset - 1] !== "\n")) return offset;
    let at = offset;
    while (text[at] === " " || text[at] === "\t") at += 1;
    if (at < text.length && text[at] !== "\n" && text[at] !== "\r") return at;
    let before = offset - 1;
    while (before >= 0 && /\s/.test(text[before]!)) before -= 1;
    return before >= 0 ? before + 1 : offset;
  };
  const problems = syntaxProblems(document.errors).map(
    (error): Problem => ({
      code: "YAML_SYNTAX",
      message: `YAML ${error.code === "DUPLICATE_KEY" ? "duplicate key" : "syntax error"}: ${error.message.split("\n")[0]}`,
      ...position(firstCharacter(error.pos[0], error.code)),
      excerpt: excerpt(firstCharacter(error.pos[0], error.code)),
      ...(SYNTAX_HINTS[error.code] ? { hint: SYNTAX_HINTS[error.code] } : {}),
    }),
  );
  if (problems.length > 0) return { value: undefined, problems, parsed };
  const aliasProblem = checkAliases(document);
  if (aliasProblem) {
    const offset = aliasProblem.alias.range?.[0] ?? 0;
    problems.push({ ...aliasProblem.problem, ...position(offset), excerpt: excerpt(offset) });
    return { value: undefined, problems, parsed };
  }
  // checkAliases bounded the expansion already; yaml's own guard (a product of per-anchor
  // counts) would refuse some harmless files that stay far below that bound.
  return { value: document.toJS({ maxAliasCount: -1 }), problems, parsed };
}

/**
 * The errors worth showing. After the first syntax error the parser is out of step with the
 * text and reports follow-on errors at the next lines (one mis-indented list item gave three
 * messages), so only the first is kept; duplicate keys are independent and all kept.
 */
function syntaxProblems(errors: readonly YAMLError[]): YAMLError[] {
  const firstSyntax = errors.find((error) => error.code !== "DUPLICATE_KEY");
  return errors.filter((error) => error.code === "DUPLICATE_KEY" || error === firstSyntax);
}

/** What a YAML error usually means for someone editing a definition, in words. */
const SYNTAX_HINTS: Partial<Record<YAMLError["code"], string>> = {
  BLOCK_AS_IMPLICIT_KEY:
    'this line is indented differently from the lines above it: give every "- " item of a list, and every key of a mapping, the same indentation',
  MULTILINE_IMPLICIT_KEY:
    'a key and its ":" must be on one line; check the indentation of this line and the one above it',
  MISSING_CHAR:
    'something is not closed or not separated: a "[" or "{" needs its "]" or "}", a key needs ": " before its value, a quote needs its closing quote',
  BAD_INDENT:
    "this line is indented less than the block it belongs to, or a flow list [ ... ] spans lines without being closed",
  TAB_AS_INDENT: "YAML does not allow tabs for indentation: indent with spaces",
  UNEXPECTED_TOKEN:
    "a character YAML does not expect here: quote the value if it holds ': ', ' #', or starts with @, `, %, | or >",
  BAD_SCALAR_START: 'quote the value: it starts with a character YAML reserves (@, `, %, "|" or ">")',
  BAD_DQ_ESCAPE: 'a "\\" in a double-quoted value starts an escape; write "\\\\" or use single quotes',
  DUPLICATE_KEY: "each key may appear once in a mapping: merge the two entries or remove one",
  MULTIPLE_DOCS: 'this file holds several YAML documents (a "---" line); keep one',
  BAD_ALIAS: 'an alias "*name" needs an anchor "&name" earlier in the file',
  KEY_OVER_1024_CHARS: "a key on one line is limited to 1024 characters; check for a missing line break",
};

/** An alias problem, located by the caller at the alias. */
type AliasProblem = { alias: Alias; problem: Omit<Problem, "file"> };

/**
 * Bounds YAML aliases (the "billion laughs" attack: nine anchors, each a list of nine aliases
 * of the previous one, expand to 387 million values): at most {@link INPUT_LIMITS.yamlAliases}
 * aliases, adding at most {@link INPUT_LIMITS.yamlAliasExpansion} values once expanded, and
 * none that contains itself.
 */
function checkAliases(document: Document): AliasProblem | undefined {
  const aliases: Alias[] = [];
  visit(document, {
    Alias(_, node) {
      aliases.push(node);
    },
  });
  if (aliases.length === 0) return undefined;
  if (aliases.length > INPUT_LIMITS.yamlAliases)
    return {
      alias: aliases[INPUT_LIMITS.yamlAliases]!,
      problem: {
        code: "YAML_ALIASES",
        message: `this file holds ${aliases.length.toLocaleString("en-US")} YAML aliases (*name); at most ${INPUT_LIMITS.yamlAliases.toLocaleString("en-US")} are read`,
        hint: "write the values out, or reuse fewer anchors",
      },
    };
  // Alias.resolve walks the document; resolve each alias once.
  const targets = new Map<Alias, unknown>(aliases.map((alias) => [alias, alias.resolve(document)]));
  let cyclic: Alias | undefined;
  const expanded = countValues(document, targets, (alias) => (cyclic ??= alias));
  if (cyclic)
    return {
      alias: cyclic,
      problem: {
        code: "YAML_ALIASES",
        message: `the alias *${(cyclic as Alias).source} refers to a value that contains it, which never ends once expanded`,
        hint: "an alias may only repeat a value defined before and outside it",
      },
    };
  const added = expanded.total - countValues(document).total;
  if (added <= INPUT_LIMITS.yamlAliasExpansion) return undefined;
  let largest = aliases[0]!;
  for (const alias of aliases) if (expanded.of(alias) > expanded.of(largest)) largest = alias;
  const format = (count: number) => count.toLocaleString("en-US");
  return {
    alias: largest,
    problem: {
      code: "YAML_ALIASES",
      message: `YAML aliases in this file expand to ${format(added)} more values, over the limit of ${format(INPUT_LIMITS.yamlAliasExpansion)} (*${largest.source} here alone stands for ${format(expanded.of(largest))})`,
      hint: "aliases that repeat aliases grow exponentially; write the values out instead",
    },
  };
}

/**
 * Counts the values of a document (a collection, a scalar and each item count one), with
 * aliases counted as one, or, given their `targets`, as the values they stand for. Memoised per node, so linear in the
 * size of the file even when the expansion is astronomically large.
 */
function countValues(
  document: Document,
  targets?: ReadonlyMap<Alias, unknown>,
  onCycle: (alias: Alias) => void = () => {},
): { total: number; of(node: unknown): number } {
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  const of = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets?.get(node);
      if (target === undefined) return 1;
      if (inProgress.has(target)) {
        onCycle(node);
        return 1;
      }
      return of(target);
    }
    if (isPair(node)) return of(node.key) + of(node.value);
    if (!isCollection(node)) return node === null || node === undefined ? 0 : 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    inProgress.add(node);
    let size = 1;
    for (const item of node.items) size += of(item);
    inProgress.delete(node);
    sizes.set(node, size);
    return size;
  };
  return { total: of(document.contents), of };
}

function describeAjvError(error: ErrorObject): {
  path: (string | number)[];
  which: "key" | "value";
  message: string;
} {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  const where = path.length === 0 ? "the document" : path.join(".");
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
      const key = String(params.additionalProperty);
      return {
        path: [...path, key],
        which: "key",
        message: `unknown key "${key}" in ${where}${allowed.length ? ` (expected one of: ${allowed.join(", ")})` : ""}`,
      };
    }
    case "propertyNames":
      return {
        path: [...path, String(params.propertyName)],
        which: "key",
        message: `key "${String(params.propertyName)}" is not allowed in ${where}`,
      };
    case "required":
      return {
        path,
        which: "value",
        message: `${where} is missing the required key "${String(params.missingProperty)}"`,
      };
    case "type":
      return {
        path,
        which: "value",
        message: `${where} must be ${String(params.type).replace(",", " or ")}, found ${describeValue(error.data)}`,
      };
    case "enum":
      return {
        path,
        which: "value",
        message: `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, found ${describeValue(error.data)}`,
      };
    case "pattern":
      return { path, which: "value", message: `${where} has an invalid value ${describeValue(error.data)}` };
    case "minItems":
      return { path, which: "value", message: `${where} must list at least ${String(params.limit)} item(s)` };
    case "minLength":
      return { path, which: "value", message: `${where} must not be empty` };
    case "minProperties":
      return { path, which: "value", message: `${where} must define at least ${String(params.limit)} entry` };
    default:
      return { path, which: "value", message: `${where} ${error.message ?? "is invalid"}` };
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing (an empty value)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`;
}

/**
 * Parses YAML text and validates it against a JSON schema, filling in schema defaults. Returns
 * every problem with its `file:line:col`; `value` is set only when there are none.
 */
export function parseYamlWithSchema<T>({ text, file, schema }: ParseYamlOptions & { schema: object }): {
  value?: T;
  problems: Problem[];
  parsed: ParsedYaml;
} {
  const { value, problems, parsed } = parseYaml({ text, file });
  if (problems.length > 0) return { problems, parsed };
  const data = value === null || value === undefined ? {} : value;
  const validate = validatorFor(schema);
  if (validate(data)) return { value: data as T, problems: [], parsed };
  const seen = new Set<string>();
  const schemaProblems: Problem[] = [];
  for (const error of validate.errors ?? []) {
    // `if`/`then` report twice; the inner error carries the detail.
    if (error.keyword === "if") continue;
    // A bad key under `propertyNames` is reported once, by the propertyNames error itself.
    if (error.propertyName !== undefined && error.keyword !== "propertyNames") continue;
    const { path, which, message } = describeAjvError(error);
    const hint =
      (error.parentSchema as { hint?: string } | undefined)?.hint ??
      (error.schema as { hint?: string } | undefined)?.hint;
    const problem: Problem = {
      code: "SCHEMA",
      message,
      ...parsed.locate(path, which),
      ...(hint ? { hint } : {}),
    };
    const key = `${problem.line}:${problem.col}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    schemaProblems.push(problem);
  }
  return { problems: schemaProblems, parsed };
}
