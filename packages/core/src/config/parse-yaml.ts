import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import { type Document, isMap, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { Problem, SourceLocation } from "../errors/spacktainers-error.js";

// ajv is CommonJS; under some loaders the class sits on `.default`.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as typeof AjvModule;

const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
});
ajv.addKeyword({ keyword: "hint", schemaType: "string" });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
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
  const problems: Problem[] = document.errors.map((error) => ({
    code: "YAML_SYNTAX",
    message: `YAML ${error.code === "DUPLICATE_KEY" ? "duplicate key" : "syntax error"}: ${error.message.split("\n")[0]}`,
    ...position(error.pos[0]),
  }));
  if (problems.length > 0) return { value: undefined, problems, parsed };
  return { value: document.toJS({ maxAliasCount: 100 }), problems, parsed };
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
