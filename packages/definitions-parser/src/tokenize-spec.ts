/**
 * A Spack spec tokenizer, modelled on Spack's own lexer (`lib/spack/spack/spec_parser.py`,
 * Spack 0.21–1.0). It only needs to be good enough to find the package names of a spec and to
 * reject text Spack would reject, but it follows Spack's token grammar so that every valid
 * spec is accepted: the original tool cut names at `~`/`+` only and crashed on `gmsh@4:` or on
 * `neurodamus-models model=neocortex ~plasticity`.
 */

/** Kinds of token of a Spack spec. */
export type SpecTokenKind =
  /** A package name, optionally namespace-qualified (`zlib`, `builtin.zlib`). */
  | "name"
  /** A version constraint after `@` (`@4:`, `@1.2:1.4,1.6`, `@=1.2`, `@git.main=1.0`). */
  | "version"
  /** A boolean variant (`+mpi`, `~shared`, ` -shared`, propagated `++mpi`). */
  | "variant"
  /** A `key=value` pair: a variant value or `arch=`/`os=`/`target=`/`platform=` (`==` propagates). */
  | "key-value"
  /** `^`: what follows is a dependency. */
  | "dependency"
  /** `%` (or `%%`): what follows is a compiler or, since Spack 1.0, a direct dependency. */
  | "compiler"
  /** Edge attributes after `^` or `%` (`^[virtuals=mpi]`, `%[when=+cuda]`). */
  | "edge-attributes"
  /** A DAG hash (`/abcdef1`). */
  | "hash";

/** One token of a spec. */
export type SpecToken = {
  /** Kind of token. */
  kind: SpecTokenKind;
  /** The token's text, trimmed. */
  text: string;
  /** For `name`: the package name without namespace; for `key-value`: the key; else the text. */
  value: string;
  /** For a namespace-qualified `name`: the namespace (`builtin`). */
  namespace?: string;
  /** 1-based column of the token's first character in the spec string. */
  col: number;
};

/** A spec that Spack would not parse; `col` is 1-based within the spec string. */
export class SpecSyntaxError extends Error {
  /** 1-based column of the offending character. */
  readonly col: number;

  constructor(message: string, col: number) {
    super(message);
    this.name = "SpecSyntaxError";
    this.col = col;
  }
}

// Spack's lexer, token by token (spec_parser.py): NAME = [a-zA-Z_0-9][a-zA-Z_0-9\-.]* where the
// dots separate a namespace; VALUE = [a-zA-Z_0-9\-+\*.,:=\~\/\\]+ or a quoted string.
const NAME = String.raw`[a-zA-Z_0-9][a-zA-Z_0-9\-]*(?:\.[a-zA-Z_0-9][a-zA-Z_0-9\-]*)*`;
const VALUE = String.raw`(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[a-zA-Z_0-9\-+*.,:=~/\\]+)`;
const VERSION = String.raw`@\s*=?\s*[a-zA-Z0-9_.\-:,=]*[a-zA-Z0-9_.\-:,]`;

const TOKEN_PATTERNS: ReadonlyArray<readonly [SpecTokenKind, RegExp]> = [
  ["edge-attributes", /\[[^\]]*\]/y],
  ["dependency", /\^/y],
  ["compiler", /%%?/y],
  ["version", new RegExp(VERSION, "y")],
  ["key-value", new RegExp(String.raw`${NAME}\s*==?\s*${VALUE}`, "y")],
  ["variant", new RegExp(String.raw`(?:\+\+|~~|--|[+~-])\s*${NAME}`, "y")],
  ["hash", /\/[a-z0-9]+/y],
  ["name", new RegExp(NAME, "y")],
];

/**
 * Splits a spec string into tokens. Throws {@link SpecSyntaxError} (with a column) on a
 * character Spack's lexer would not accept.
 */
export function tokenizeSpec(spec: string): SpecToken[] {
  const tokens: SpecToken[] = [];
  let position = 0;
  while (position < spec.length) {
    const char = spec[position]!;
    if (/\s/.test(char)) {
      position++;
      continue;
    }
    let matched = false;
    for (const [kind, pattern] of TOKEN_PATTERNS) {
      pattern.lastIndex = position;
      const match = pattern.exec(spec);
      if (!match) continue;
      const text = match[0];
      // A `-` inside `py-numpy` belongs to the name (the name pattern consumed it); only at the
      // start of a token is `-shared` a variant, as in Spack.
      tokens.push(makeToken(kind, text, position + 1));
      position += text.length;
      matched = true;
      break;
    }
    if (!matched) {
      const hint =
        char === "@"
          ? "a version after @ (e.g. @1.2 or @4:)"
          : char === "=" || char === "+" || char === "~"
            ? "a name after it (e.g. +mpi or key=value)"
            : "a package name, @version, +variant, ~variant, key=value, ^dependency or %compiler";
      throw new SpecSyntaxError(
        `unexpected ${JSON.stringify(char)} at character ${position + 1}; expected ${hint}`,
        position + 1,
      );
    }
  }
  return tokens;
}

function makeToken(kind: SpecTokenKind, text: string, col: number): SpecToken {
  if (kind === "name") {
    const dot = text.lastIndexOf(".");
    if (dot === -1) return { kind, text, value: text, col };
    return { kind, text, value: text.slice(dot + 1), namespace: text.slice(0, dot), col };
  }
  if (kind === "key-value") return { kind, text, value: text.split("=")[0]!.trim(), col };
  return { kind, text, value: text, col };
}

/** The package names of a spec: the root and each dependency/compiler it names. */
export type SpecPackages = {
  /** The root package name (namespace removed). */
  root: string;
  /** Namespace of the root, when it was written (`builtin.zlib` → `builtin`). */
  namespace?: string;
  /** Names after `^` and `%`, in order. */
  dependencies: string[];
};

/**
 * Parses a spec far enough to name its packages. The spec must start with a package name:
 * an anonymous spec (`+mpi`, `@1.2`, `^zlib`) or a hash (`/abc`) has no main package, and a
 * second bare name (`zlib libpng`) would make Spack read two specs.
 */
export function parseSpecPackages(spec: string): SpecPackages {
  const tokens = tokenizeSpec(spec);
  const first = tokens[0];
  if (!first) throw new SpecSyntaxError("the spec is empty; expected a package name such as zlib@1.3", 1);
  if (first.kind !== "name") {
    const example =
      first.kind === "version" || first.kind === "variant"
        ? `"<package>${first.text}"`
        : first.kind === "key-value"
          ? `"<package> ${first.text}"`
          : `"<package>@<version> +<variant>"`;
    throw new SpecSyntaxError(
      `the spec starts with ${JSON.stringify(first.text)} instead of a package name; write the package first, e.g. ${example}`,
      first.col,
    );
  }
  const dependencies: string[] = [];
  let expectName = false;
  for (const token of tokens.slice(1)) {
    if (token.kind === "dependency" || token.kind === "compiler") {
      if (expectName)
        throw new SpecSyntaxError(
          `${JSON.stringify(token.text)} must be followed by a package name`,
          token.col,
        );
      expectName = true;
      continue;
    }
    if (token.kind === "edge-attributes") {
      if (!expectName)
        throw new SpecSyntaxError(
          `unexpected ${JSON.stringify(token.text)}; edge attributes follow ^ or %`,
          token.col,
        );
      continue;
    }
    if (expectName) {
      // Spack 1.0 writes a virtual assignment right after % or ^: `%c=gcc@12`.
      if (token.kind === "key-value") {
        dependencies.push(token.text.slice(token.text.lastIndexOf("=") + 1).trim());
        expectName = false;
        continue;
      }
      if (token.kind === "hash") {
        expectName = false;
        continue;
      }
      if (token.kind !== "name")
        throw new SpecSyntaxError(`expected a package name before ${JSON.stringify(token.text)}`, token.col);
      dependencies.push(token.value);
      expectName = false;
      continue;
    }
    if (token.kind === "name") {
      throw new SpecSyntaxError(
        `a second package name ${JSON.stringify(token.text)} follows "${first.text}"; Spack would read two specs here — list each spec separately, or write ^${token.text} for a dependency`,
        token.col,
      );
    }
  }
  if (expectName) {
    const last = tokens[tokens.length - 1]!;
    throw new SpecSyntaxError(
      `${JSON.stringify(last.text)} at the end of the spec must be followed by a package name`,
      last.col,
    );
  }
  return {
    root: first.value,
    ...(first.namespace ? { namespace: first.namespace } : {}),
    dependencies,
  };
}

/**
 * The main package of a spec: the name of its root package, without namespace
 * (`"gmsh@4:"` → `gmsh`, `builtin.zlib+pic` → `zlib`). Its version in `spack.lock` becomes the
 * container's version. Throws {@link SpecSyntaxError} when the spec has no leading name.
 */
export function mainPackageOfSpec(spec: string): string {
  return parseSpecPackages(spec).root;
}
