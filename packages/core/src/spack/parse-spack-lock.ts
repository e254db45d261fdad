import { parseYaml } from "../config/parse-yaml.js";
import type { ErrorCode } from "../errors/error-codes.js";
import { InputInvalidError } from "../errors/input-invalid-error.js";
import type { Problem, SourceLocation } from "../errors/spacktainers-error.js";
import { lockChecksum } from "../naming/checksums.js";

/** Lockfile versions this reader understands: 4 (Spack 0.19–0.20), 5 (0.21–0.23), 6 (1.x). */
export const SUPPORTED_LOCKFILE_VERSIONS = [4, 5, 6] as const;

/**
 * Languages whose provider is the compiler of a node in lockfile v6 (Spack 1.x turned compilers
 * into nodes: a spec depends on `gcc` with `virtuals: [c, cxx]` instead of having a `compiler`
 * field). Checked in this order, so `%c=gcc@12.2.0` wins over a different C++ compiler.
 */
const COMPILER_LANGUAGES = ["c", "cxx", "fortran"] as const;

/** The architecture of a concrete spec. */
export type SpackLockArch = {
  /** `linux`, `darwin`, … */
  platform: string;
  /** Operating system, e.g. `ubuntu22.04` (`platform_os` in the file). */
  os: string;
  /** Microarchitecture name, e.g. `x86_64_v3` (the file has a string or an object with `name`). */
  target: string;
};

/** A compiler, as `name@version`. */
export type SpackLockCompiler = {
  /** Compiler package name, e.g. `gcc`. */
  name: string;
  /** Exact compiler version, e.g. `12.2.0`. */
  version: string;
};

/** An edge of the concrete DAG. */
export type SpackLockDependency = {
  /** Name of the dependency. */
  name: string;
  /** DAG hash of the dependency (a key of {@link SpackLock.specs}). */
  hash: string;
  /** Dependency types (`build`, `link`, `run`, `test`), sorted. */
  deptypes: string[];
  /** Virtuals this dependency provides to the parent (`mpi`, `c`, …), sorted; empty before v5. */
  virtuals: string[];
};

/** One concrete spec of a lockfile (`concrete_specs[hash]`). */
export type SpackLockSpec = {
  /** DAG hash (32 base32 characters). */
  hash: string;
  /** Package name. */
  name: string;
  /** Exact version. */
  version: string;
  /** Package repository namespace (`builtin`), when given. */
  namespace?: string;
  /** Platform, OS and target. */
  arch: SpackLockArch;
  /**
   * The compiler that built it: the `compiler` field (lockfile v4/v5) or, in v6, the node that
   * provides `c` (else `cxx`, else `fortran`) among its dependencies. Absent for specs compiled
   * by nothing (externals, pure-Python or data packages in v6).
   */
  compiler?: SpackLockCompiler;
  /** True for externals (found on the system, not built). */
  external: boolean;
  /** Direct dependencies, in file order. */
  dependencies: SpackLockDependency[];
};

/** A root of the environment (a user spec and the concrete spec it resolved to). */
export type SpackLockRoot = {
  /** The abstract spec as the user wrote it, e.g. `fixture-app+extra` or `zlib@1.2.13`. */
  spec: string;
  /** DAG hash of the concrete spec. */
  hash: string;
  /** Package name of the concrete spec (read from `concrete_specs`, not parsed from `spec`). */
  name: string;
};

/** A parsed `spack.lock`. */
export type SpackLock = {
  /** The file, as given to the parser (for messages). */
  file: string;
  /** `_meta.lockfile-version`; undefined for a bare `{concrete_specs}` file (test fixtures). */
  lockfileVersion?: number;
  /** `_meta.specfile-version`, when given. */
  specfileVersion?: number;
  /** The Spack that concretized it (`spack:` section, lockfile v5+). */
  spack?: {
    /** Spack version, e.g. `0.23.1`. */
    version?: string;
    /** Spack git commit, when Spack ran from a git checkout. */
    commit?: string;
  };
  /** Roots in file order; empty when the file has no `roots`. */
  roots: SpackLockRoot[];
  /** Every concrete spec by DAG hash, in file order. */
  specs: Record<string, SpackLockSpec>;
  /** sha256 hex of the file's text (the lock checksum, `lockChecksum` in naming). */
  sha256: string;
};

export interface ParseSpackLockOptions {
  /** Text of `spack.lock`. */
  text: string;
  /** Path shown in messages. */
  file: string;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Line and column of a character offset. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, col: offset - before.lastIndexOf("\n") };
}

/** Where `JSON.parse` stopped: Node 20 says "at position N", Node 22 "(line L column C)". */
function jsonErrorLocation(text: string, file: string, message: string): SourceLocation {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return { file, line: Number(lineCol[1]), col: Number(lineCol[2]) };
  const position = /at position (\d+)/.exec(message);
  if (position) return { file, ...positionOf(text, Number(position[1])) };
  return { file, ...positionOf(text, text.length) };
}

/** Reports a problem at a path of the document (located lazily: a valid lock pays nothing). */
type ReportProblem = (code: ErrorCode, message: string, path: (string | number)[], hint?: string) => void;

/** The text as JSON, or an `InputInvalidError` pointing where `JSON.parse` stopped. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new InputInvalidError({
      code: "LOCK_INVALID",
      cause: error,
      problems: [
        {
          code: "LOCK_NOT_JSON",
          message: `not a Spack lockfile: the file is not valid JSON (${reason})`,
          hint: "give the spack.lock written by `spack concretize`",
          ...jsonErrorLocation(text, file, reason ?? ""),
        },
      ],
    });
  }
}

/** `_meta`: the file type and the lockfile and specfile versions. */
function readMeta(
  data: Json,
  problem: ReportProblem,
): { lockfileVersion?: number; specfileVersion?: number } {
  const meta = data._meta;
  if (meta === undefined) {
    if (!isRecord(data.concrete_specs))
      problem(
        "LOCK_NOT_LOCKFILE",
        "not a Spack lockfile: it has neither `_meta` nor `concrete_specs`",
        [],
        "give the spack.lock written by `spack concretize`",
      );
    return {};
  }
  if (!isRecord(meta)) {
    problem("LOCK_NOT_LOCKFILE", "not a Spack lockfile: `_meta` must be an object", ["_meta"]);
    return {};
  }
  if (meta["file-type"] !== undefined && meta["file-type"] !== "spack-lockfile")
    problem(
      "LOCK_NOT_LOCKFILE",
      `not a Spack lockfile: _meta.file-type is ${JSON.stringify(meta["file-type"])}, expected "spack-lockfile"`,
      ["_meta", "file-type"],
    );
  const result: { lockfileVersion?: number; specfileVersion?: number } = {};
  const version = meta["lockfile-version"];
  if (typeof version !== "number" || !(SUPPORTED_LOCKFILE_VERSIONS as readonly number[]).includes(version))
    problem(
      "LOCK_VERSION_UNSUPPORTED",
      `unsupported lockfile-version ${JSON.stringify(version ?? null)}; supported: ${SUPPORTED_LOCKFILE_VERSIONS.join(", ")} (Spack 0.19 to 1.x)`,
      version === undefined ? ["_meta"] : ["_meta", "lockfile-version"],
      "concretize the environment again with a supported Spack",
    );
  else result.lockfileVersion = version;
  if (typeof meta["specfile-version"] === "number") result.specfileVersion = meta["specfile-version"];
  return result;
}

/** The target name: a string, or an object with `name`. */
function targetOf(arch: unknown): string | undefined {
  if (!isRecord(arch)) return undefined;
  if (typeof arch.target === "string") return arch.target;
  return isRecord(arch.target) && typeof arch.target.name === "string" ? arch.target.name : undefined;
}

/** The direct dependencies of one spec (v4 `type: [...]`; v5 and v6 `parameters: {deptypes, virtuals}`). */
function readDependencies(
  raw: Json,
  path: (string | number)[],
  key: string,
  problem: ReportProblem,
): SpackLockDependency[] {
  const dependencies: SpackLockDependency[] = [];
  const rawDependencies = raw.dependencies ?? [];
  if (!Array.isArray(rawDependencies)) {
    problem("LOCK_SPEC_INVALID", `concrete_specs.${key}.dependencies must be a list`, [
      ...path,
      "dependencies",
    ]);
    return dependencies;
  }
  const strings = (value: unknown) =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === "string").sort() : [];
  rawDependencies.forEach((dependency: unknown, index) => {
    if (!isRecord(dependency) || typeof dependency.name !== "string" || typeof dependency.hash !== "string") {
      problem("LOCK_SPEC_INVALID", `concrete_specs.${key}.dependencies[${index}] needs a name and a hash`, [
        ...path,
        "dependencies",
        index,
      ]);
      return;
    }
    const parameters = isRecord(dependency.parameters) ? dependency.parameters : {};
    dependencies.push({
      name: dependency.name,
      hash: dependency.hash,
      deptypes: strings(parameters.deptypes ?? dependency.type),
      virtuals: strings(parameters.virtuals),
    });
  });
  return dependencies;
}

/** One entry of `concrete_specs`, or undefined when it lacks what a spec needs (problems reported). */
function readSpec(key: string, raw: unknown, problem: ReportProblem): SpackLockSpec | undefined {
  const path = ["concrete_specs", key];
  if (!isRecord(raw)) {
    problem("LOCK_SPEC_INVALID", `concrete_specs.${key} must be an object`, path);
    return undefined;
  }
  const missing = (["name", "version"] as const).filter((field) => typeof raw[field] !== "string");
  for (const field of missing)
    problem(
      "LOCK_SPEC_INVALID",
      `concrete_specs.${key} has no ${field} (expected a string)`,
      typeof raw[field] === "undefined" ? path : [...path, field],
    );
  const arch = raw.arch;
  const target = targetOf(arch);
  const archValid =
    isRecord(arch) &&
    typeof arch.platform === "string" &&
    typeof arch.platform_os === "string" &&
    target !== undefined;
  if (!archValid)
    problem(
      "LOCK_SPEC_INVALID",
      `concrete_specs.${key}.arch must have platform, platform_os and target`,
      isRecord(arch) ? [...path, "arch"] : path,
    );
  if (typeof raw.hash === "string" && raw.hash !== key)
    problem(
      "LOCK_SPEC_INVALID",
      `concrete_specs.${key} says its hash is ${raw.hash}; the key and the hash must agree`,
      [...path, "hash"],
    );
  const dependencies = readDependencies(raw, path, key, problem);
  if (missing.length > 0 || target === undefined || !isRecord(arch)) return undefined;
  const compiler = raw.compiler;
  return {
    hash: key,
    name: raw.name as string,
    version: raw.version as string,
    ...(typeof raw.namespace === "string" ? { namespace: raw.namespace } : {}),
    arch: { platform: arch.platform as string, os: arch.platform_os as string, target },
    ...(isRecord(compiler) && typeof compiler.name === "string" && compiler.version !== undefined
      ? { compiler: { name: compiler.name, version: String(compiler.version) } }
      : {}),
    external: isRecord(raw.external),
    dependencies,
  };
}

/**
 * Lockfile v6 has no `compiler` field: a spec's compiler is the node providing `c` (else `cxx`,
 * else `fortran`) among its dependencies. Rebuilt rather than assigned so every spec has the
 * same key order in JSON output.
 */
function resolveNodeCompilers(specs: Record<string, SpackLockSpec>): void {
  for (const spec of Object.values(specs)) {
    if (spec.compiler) continue;
    const provider = COMPILER_LANGUAGES.map((language) =>
      spec.dependencies.find((dependency) => dependency.virtuals.includes(language)),
    ).find((dependency) => dependency !== undefined);
    const node = provider ? specs[provider.hash] : undefined;
    if (!node) continue;
    const { external, dependencies, ...head } = spec;
    specs[spec.hash] = {
      ...head,
      compiler: { name: node.name, version: node.version },
      external,
      dependencies,
    };
  }
}

/** `roots`, each resolved to the name of its concrete spec. */
function readRoots(
  data: Json,
  specs: Record<string, SpackLockSpec>,
  rawSpecs: Json,
  problem: ReportProblem,
): SpackLockRoot[] {
  const roots: SpackLockRoot[] = [];
  const rawRoots = data.roots ?? [];
  if (!Array.isArray(rawRoots)) {
    problem("LOCK_ROOTS_INVALID", "`roots` must be a list", ["roots"]);
    return roots;
  }
  rawRoots.forEach((root: unknown, index) => {
    if (!isRecord(root) || typeof root.hash !== "string" || typeof root.spec !== "string") {
      problem("LOCK_ROOTS_INVALID", `roots[${index}] needs a hash and a spec`, ["roots", index]);
      return;
    }
    const concrete = specs[root.hash];
    if (!concrete) {
      if (!(root.hash in rawSpecs))
        problem(
          "LOCK_HASH_UNKNOWN",
          `root "${root.spec}" has hash ${root.hash}, which is not in concrete_specs`,
          ["roots", index, "hash"],
        );
      return;
    }
    roots.push({ spec: root.spec, hash: root.hash, name: concrete.name });
  });
  return roots;
}

/**
 * Parses a Spack lockfile of version 4, 5 or 6 (and the bare `{concrete_specs}` form of test
 * fixtures). Pure: give it the file's text. Throws {@link InputInvalidError} (exit 2) listing
 * every problem with its `file:line:col`: not JSON, not a lockfile, an unsupported
 * `lockfile-version`, or a spec missing its name/version/arch, or a hash that is not defined.
 */
export function parseSpackLock({ text, file }: ParseSpackLockOptions): SpackLock {
  const data = parseJson(text, file);
  // JSON is YAML: the located parser is used only to point at problems.
  let locator: ((path: (string | number)[], which?: "key" | "value") => SourceLocation) | undefined;
  const problems: Problem[] = [];
  const problem: ReportProblem = (code, message, path, hint) => {
    locator ??= parseYaml({ text, file }).parsed.locate;
    problems.push({ code, message, ...locator(path, "value"), ...(hint ? { hint } : {}) });
  };
  const fail = () => new InputInvalidError({ code: "LOCK_INVALID", problems });

  if (!isRecord(data)) {
    problem("LOCK_NOT_LOCKFILE", "not a Spack lockfile: expected a JSON object", []);
    throw fail();
  }
  const versions = readMeta(data, problem);
  if (problems.length > 0) throw fail();
  const rawSpecs = data.concrete_specs;
  if (!isRecord(rawSpecs)) {
    problem("LOCK_SPECS_MISSING", "the lockfile has no `concrete_specs` object", []);
    throw fail();
  }
  const specs: Record<string, SpackLockSpec> = {};
  for (const [key, raw] of Object.entries(rawSpecs)) {
    const spec = readSpec(key, raw, problem);
    if (spec) specs[key] = spec;
  }
  for (const spec of Object.values(specs))
    spec.dependencies.forEach((dependency, index) => {
      if (!(dependency.hash in rawSpecs))
        problem(
          "LOCK_HASH_UNKNOWN",
          `concrete_specs.${spec.hash} depends on ${dependency.name}/${dependency.hash}, which is not in concrete_specs`,
          ["concrete_specs", spec.hash, "dependencies", index],
        );
    });
  resolveNodeCompilers(specs);
  const roots = readRoots(data, specs, rawSpecs, problem);
  if (problems.length > 0) throw fail();

  const lock: SpackLock = { file, ...versions, roots, specs, sha256: lockChecksum(text) };
  if (isRecord(data.spack)) {
    const spack: NonNullable<SpackLock["spack"]> = {};
    if (typeof data.spack.version === "string") spack.version = data.spack.version;
    if (typeof data.spack.commit === "string") spack.commit = data.spack.commit;
    lock.spack = spack;
  }
  return lock;
}
