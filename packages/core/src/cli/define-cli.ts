import { parseArgs } from "node:util";
import { UsageError } from "../errors/input-invalid-error.js";
import { collectSecretValues, createSecretMasker, type SecretMasker } from "../errors/mask-secrets.js";
import { formatProblem, SpacktainersError, type Warning } from "../errors/spacktainers-error.js";
import { closestName } from "../naming/closest-name.js";

/** One flag of a command; `T` is the type its `parse` step returns (a string without one). */
export type FlagSpec<T = unknown> = {
  /** `string` takes a value; `boolean` is a switch. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** The flag may repeat; its value is then a list. */
  multiple?: boolean;
  /** One line for `--help`. */
  description: string;
  /** Placeholder of the value in `--help` (e.g. `DIR`). */
  placeholder?: string;
  /** Environment variable used when the flag is absent. */
  env?: string;
  /**
   * Older names of `env`, still read (in this order) when neither the flag nor `env` is set,
   * with a warning naming the variable to use instead.
   */
  deprecatedEnv?: readonly string[];
  /**
   * Value when neither the flag nor its env var is given. A string default goes through
   * `parse` like a given value, so `--help` shows what the user would type.
   */
  default?: string | boolean;
  /**
   * The command cannot run without a value (from the flag, its env var or its default). A
   * string says why, after "--flag is required: ". Every missing flag is reported at once,
   * as a usage error (exit 2).
   */
  required?: true | string;
  /**
   * Other flags (long names) this one only works with: given (on the command line or by its
   * env var) without a value for one of them is a usage error, reported with every other
   * problem (`--variable needs --dotenv`).
   */
  needs?: readonly string[];
  /**
   * Checks and converts a string value (from the flag, its env var or a string default) when it
   * is parsed — {@link parseUrlFlag}, {@link numberFlag}, {@link choiceFlag}, {@link dateFlag},
   * {@link durationFlag}. The flag's value then has the returned type, so command bodies never
   * cast. Throws an `Error` whose message says what is wrong; the CLI reports it as a usage
   * error (exit 2) naming the flag.
   */
  parse?: (value: string) => T;
};

/** The flags of a command, by long name. */
export type FlagTable = Record<string, FlagSpec>;

/** The type of one string value of a flag: what its `parse` returns, else a string. */
type FlagString<S> = S extends { parse: (value: string) => infer T } ? T : string;

/** The parsed value type of one flag. */
export type FlagValue<S extends FlagSpec> = S["type"] extends "boolean"
  ? boolean
  : S extends { multiple: true }
    ? FlagString<S>[]
    : S extends { required: true | string } | { default: string }
      ? FlagString<S>
      : FlagString<S> | undefined;

/** The parsed value type of a flag table. */
export type FlagValues<F extends FlagTable> = { [K in keyof F]: FlagValue<F[K]> } & {
  /** `--json`, which every command accepts: machine-readable result on stdout. */
  json: boolean;
};

/** Where a command writes and what it reads from the process; injected so tests run in-process. */
export type CliIo = {
  /** Machine output (`--json`) and plain results. */
  stdout: { write(text: string): unknown };
  /** Human progress, warnings and errors. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Working directory. */
  cwd: string;
};

/**
 * What every command receives besides its flags: output, environment and masking. Helpers that
 * serve several commands take this (not a `CommandContext` of one flag table), so no command
 * casts its context to share them.
 */
export type CommandIo = {
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Working directory. */
  cwd: string;
  /** Writes to stdout, secrets masked. */
  out(text: string): void;
  /** Writes a line to stderr, secrets masked. */
  log(text: string): void;
  /**
   * Prints warnings on stderr, one `warning: file:line:col: message` each (the one way every
   * command shows the warnings a library returned as data).
   */
  warn(warnings: Iterable<Warning>): void;
  /** Prints a value as JSON on stdout (one document, trailing newline), secrets masked. */
  json(value: unknown): void;
  /** True when stderr is a terminal (progress bars allowed). */
  isTTY: boolean;
  /** Adds names of env vars whose values must be masked (for example from the site config). */
  maskVariables(names: Iterable<string>): void;
  /** Adds secret values to mask that do not come from env vars (a token read from a file). */
  maskValues(values: Iterable<string>): void;
  /** The current masker, for text written to files or logs. */
  mask: SecretMasker;
};

/** What a command's `run` receives. */
export type CommandContext<F extends FlagTable> = CommandIo & {
  /** Parsed flags, with env fallbacks and defaults applied. */
  flags: FlagValues<F>;
  /** Positional arguments. */
  positionals: string[];
};

/** A command of a CLI. */
export type CommandSpec<F extends FlagTable = FlagTable> = {
  /** Subcommand name; empty for a CLI that has a single command. */
  name: string;
  /** One line for `--help`. */
  summary: string;
  /** Usage line after the program name, e.g. `validate [--root DIR]`. */
  usage?: string;
  /** Extra help text (examples, exit codes). */
  details?: string;
  /** Flags. */
  flags: F;
  /** Accept positional arguments. */
  positionals?: boolean;
  /** Does the work; returns the exit code (default 0). Throws SpacktainersError for known failures. */
  run(context: CommandContext<F>): Promise<number | undefined> | number | undefined;
};

/** A whole CLI. */
export type CliSpec = {
  /** Program name, e.g. `spacktainers-definitions`. */
  name: string;
  /** Package version. */
  version: string;
  /** One paragraph on what it does. */
  description: string;
  /** Its commands. A CLI with one command named "" takes no subcommand. */
  // biome-ignore lint/suspicious/noExplicitAny: commands have different flag tables
  commands: CommandSpec<any>[];
};

/** Declares a command with its flag types inferred from the flag table. */
export function defineCommand<F extends FlagTable>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

const EXIT_CODES = "Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 partly done.";

function flagHelp(flags: FlagTable): string[] {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.type === "string" ? ` ${spec.placeholder ?? "VALUE"}` : ""}`;
    const notes = [
      spec.required ? "required" : "",
      spec.multiple ? "repeatable" : "",
      spec.env ? `env ${spec.env}` : "",
      spec.default !== undefined && spec.default !== false ? `default ${String(spec.default)}` : "",
    ].filter(Boolean);
    return [left, `${spec.description}${notes.length ? ` (${notes.join("; ")})` : ""}`] as const;
  });
  rows.push(["    --json", "machine-readable result on stdout"] as const);
  rows.push(["-h, --help", "show this help"] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows
    .filter(([left], i, all) => all.findIndex(([l]) => l === left) === i)
    .map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/**
 * How the user started the CLI, for help and usage lines: `pnpm -s <name>` when pnpm ran the
 * root script of that name (a clone of the repository; pnpm sets `npm_lifecycle_event` to the
 * script's name), else the bin's name (installed from npm, or on PATH).
 */
export function invocationOf(cli: CliSpec, env: Record<string, string | undefined>): string {
  return env.npm_lifecycle_event === cli.name ? `pnpm -s ${cli.name}` : cli.name;
}

/**
 * The `--help` text of a CLI, or of one of its commands. `program` is how the user runs it
 * ({@link invocationOf}; default the bin's name).
 */
export function formatHelp(cli: CliSpec, command?: CommandSpec, program: string = cli.name): string {
  if (command) {
    const lines = [
      `Usage: ${program} ${command.usage ?? command.name}`.trimEnd(),
      "",
      command.summary,
      "",
      "Options:",
      ...flagHelp(command.flags),
    ];
    if (command.details) lines.push("", command.details.trimEnd());
    lines.push("", EXIT_CODES);
    return `${lines.join("\n")}\n`;
  }
  const width = Math.max(...cli.commands.map((c) => c.name.length));
  const lines = [
    `Usage: ${program} <command> [options]`,
    "",
    cli.description,
    "",
    "Commands:",
    ...cli.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    `Run '${program} <command> --help' for the options of a command.`,
    EXIT_CODES,
  ];
  return `${lines.join("\n")}\n`;
}

/** ` Did you mean --x?` for parseArgs' unknown-option error, when a flag is close. */
function didYouMeanFlag(error: unknown, flags: string[]): string {
  if ((error as { code?: string }).code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") return "";
  const given = /'-{1,2}([^'=]+)/.exec((error as Error).message)?.[1];
  const suggestion = given === undefined ? undefined : closestName(given, flags);
  return suggestion ? ` Did you mean --${suggestion}?` : "";
}

/** `--name`, with its env var when it has one: how a usage error names a flag. */
function flagName(name: string, spec: FlagSpec): string {
  return `--${name}${spec.env ? ` (or ${spec.env})` : ""}`;
}

/**
 * The flag values of a command: given value, else its env var, else its default, each through
 * the flag's `parse` step. Reports every bad value and every missing required flag in one
 * usage error.
 */
function resolveFlags(
  table: FlagTable,
  given: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { flags: FlagValues<FlagTable>; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const flags: Record<string, unknown> = { json: given.json ?? false };
  const byUser = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    let value = given[name];
    let source = `--${name}`;
    const variable = [spec.env, ...(spec.deprecatedEnv ?? [])].find(
      (candidate) => candidate !== undefined && env[candidate] !== undefined && env[candidate] !== "",
    );
    if (value === undefined && variable !== undefined) {
      const fromEnv = env[variable]!;
      if (variable === spec.env) source = `${variable} (the environment variable of --${name})`;
      else {
        source = `${variable} (a deprecated environment variable of --${name})`;
        warnings.push(
          `${variable} is deprecated: set ${spec.env ? `${spec.env} or ` : ""}--${name} instead (${variable} will stop being read)`,
        );
      }
      value =
        spec.type === "boolean" ? !/^(0|false|no)$/i.test(fromEnv) : spec.multiple ? [fromEnv] : fromEnv;
    }
    if (value !== undefined && value !== false) byUser.add(name);
    if (value === undefined && spec.default !== undefined) {
      source = `the default of --${name}`;
      value = spec.default;
    }
    if (spec.parse && spec.type === "string" && value !== undefined) {
      const parse = spec.parse;
      try {
        value = Array.isArray(value) ? value.map((item: string) => parse(item)) : parse(value as string);
      } catch (error) {
        problems.push(`${source}: ${(error as Error).message}`);
      }
    }
    if (value === undefined && spec.required)
      problems.push(
        `${flagName(name, spec)} is required${typeof spec.required === "string" ? `: ${spec.required}` : ""}`,
      );
    flags[name] = value ?? (spec.type === "boolean" ? false : spec.multiple ? [] : undefined);
  }
  for (const [name, spec] of Object.entries(table)) {
    if (!byUser.has(name)) continue;
    for (const needed of spec.needs ?? []) {
      const value = flags[needed];
      if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) {
        const neededSpec = table[needed];
        problems.push(`--${name} needs ${neededSpec ? flagName(needed, neededSpec) : `--${needed}`}`);
      }
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return { flags: flags as FlagValues<FlagTable>, warnings };
}

/**
 * Runs a CLI: parses argv, applies env fallbacks, runs the command, and turns every error into
 * one message and an exit code. The only place that decides exit codes; it never calls
 * `process.exit` itself (the bin sets `process.exitCode` from the returned value).
 */
export async function runCli(cli: CliSpec, argv: readonly string[], io: CliIo): Promise<number> {
  const secretNames = new Set<string>();
  const secretValues = new Set<string>();
  let mask = createSecretMasker(collectSecretValues(io.env));
  const log = (text: string) => io.stderr.write(`${mask(text)}\n`);
  const program = invocationOf(cli, io.env);
  const single = cli.commands.length === 1 && cli.commands[0]!.name === "";
  let args = [...argv];
  if (args[0] === "--version" || args[0] === "-v") {
    io.stdout.write(`${cli.version}\n`);
    return 0;
  }
  let command: CommandSpec | undefined;
  if (single) command = cli.commands[0];
  else {
    const name = args[0];
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      (name === undefined ? io.stderr : io.stdout).write(formatHelp(cli, undefined, program));
      return name === undefined ? 2 : 0;
    }
    command = cli.commands.find((c) => c.name === name);
    if (!command) {
      const names = cli.commands.map((c) => c.name);
      const suggestion = closestName(name, names);
      log(
        `${cli.name}: unknown command "${name}".${suggestion ? ` Did you mean "${suggestion}"?` : ""} Commands: ${names.join(", ")}.`,
      );
      return 2;
    }
    args = args.slice(1);
  }
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(formatHelp(cli, command, program));
    return 0;
  }
  try {
    const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
      json: { type: "boolean" },
    };
    for (const [name, spec] of Object.entries(command!.flags)) {
      options[name] = {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
      };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args, options, strict: true, allowPositionals: command!.positionals ?? false });
    } catch (error) {
      throw new UsageError(
        `${(error as Error).message.split("\n")[0]}.${didYouMeanFlag(error, Object.keys(options))} Run '${program}${command!.name ? ` ${command!.name}` : ""} --help'.`,
      );
    }
    const { flags, warnings } = resolveFlags(command!.flags, parsed.values, io.env);
    for (const warning of warnings) log(`warning: ${warning}`);
    const remask = () => {
      mask = createSecretMasker([...collectSecretValues(io.env, secretNames), ...secretValues]);
      context.mask = mask;
    };
    const context: CommandContext<FlagTable> = {
      flags,
      positionals: parsed.positionals,
      env: io.env,
      cwd: io.cwd,
      isTTY: io.stderr.isTTY === true,
      out: (text) => io.stdout.write(mask(text)),
      log,
      warn: (warnings) => {
        for (const warning of warnings) log(`warning: ${formatProblem(warning)}`);
      },
      json: (value) => io.stdout.write(`${mask(JSON.stringify(value, null, 2))}\n`),
      maskVariables: (names) => {
        for (const name of names) secretNames.add(name);
        remask();
      },
      maskValues: (values) => {
        for (const value of values) secretValues.add(value);
        remask();
      },
      mask,
    };
    return (await command!.run(context)) ?? 0;
  } catch (error) {
    if (SpacktainersError.isInstance(error)) {
      log(`${cli.name}: error: ${error.message}`);
      return error.exitCode;
    }
    log(
      `${cli.name}: unexpected error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}
