import { expect, test } from "vitest";
import { InputInvalidError } from "../errors/input-invalid-error.js";
import { type CliSpec, defineCommand, runCli } from "./define-cli.js";
import { choiceFlag, dateFlag, durationFlag, numberFlag } from "./flag-parsers.js";
import { parseUrlFlag } from "./parse-url-flag.js";

function capture(env: Record<string, string> = {}) {
  const io = { out: "", err: "" };
  return {
    io,
    cliIo: {
      stdout: { write: (t: string) => (io.out += t) },
      stderr: { write: (t: string) => (io.err += t) },
      env,
      cwd: "/",
    },
  };
}

const cli: CliSpec = {
  name: "demo",
  version: "1.2.3",
  description: "A demo.",
  commands: [
    defineCommand({
      name: "echo",
      summary: "Echo a value.",
      usage: "echo --value V",
      flags: {
        value: { type: "string", description: "what to echo", env: "DEMO_VALUE", placeholder: "V" },
        loud: { type: "boolean", description: "shout" },
        endpoint: {
          type: "string",
          description: "a URL",
          placeholder: "URL",
          env: "DEMO_ENDPOINT",
          parse: parseUrlFlag,
        },
      },
      run({ flags, out, json }) {
        if (flags.json) json({ value: flags.value });
        else out(`${flags.loud ? String(flags.value).toUpperCase() : flags.value}\n`);
        return 0;
      },
    }),
    defineCommand({
      name: "fail",
      summary: "Fail in a chosen way.",
      flags: { how: { type: "string", description: "input|exit|crash" } },
      run({ flags }) {
        if (flags.how === "input")
          throw new InputInvalidError({
            problems: [{ code: "INPUT_INVALID", message: "bad", file: "f.yaml", line: 1, col: 2 }],
          });
        if (flags.how === "exit") return 3;
        throw new Error("boom");
      },
    }),
  ],
};

test("flags, env fallbacks and --json; secrets never printed", async () => {
  const a = capture({ DEMO_VALUE: "from-env", GITLAB_API_TOKEN: "from-env" });
  expect(await runCli(cli, ["echo"], a.cliIo)).toBe(0);
  expect(a.io.out).toBe("[MASKED]\n");
  const b = capture();
  expect(await runCli(cli, ["echo", "--value", "x", "--json"], b.cliIo)).toBe(0);
  expect(JSON.parse(b.io.out)).toEqual({ value: "x" });
});

test("exit codes: usage 2, input 2 with located message, partial 3, unexpected 1 with stack", async () => {
  const cases = [
    ["nope"],
    ["echo", "--bogus"],
    ["fail", "--how", "input"],
    ["fail", "--how", "exit"],
    ["fail", "--how", "crash"],
    [],
  ];
  const results = [];
  for (const args of cases) {
    const c = capture();
    results.push([await runCli(cli, args, c.cliIo), c.io.err.split("\n")[0]]);
  }
  expect(results).toEqual([
    [2, 'demo: unknown command "nope". Commands: echo, fail.'],
    [2, "demo: error: Unknown option '--bogus'. Run 'demo echo --help'."],
    [2, "demo: error: 1 problem found:"],
    [3, ""],
    [1, "demo: unexpected error (please report it):"],
    [2, "Usage: demo <command> [options]"],
  ]);
});

test("did you mean: a close command or flag is suggested; URL flags are checked when parsed, from argv or env", async () => {
  const cases: [string[], Record<string, string>][] = [
    [["ehco"], {}],
    [["echo", "--lod"], {}],
    [["echo", "--endpoint", "http://[::1"], {}],
    [["echo", "--value", "x"], { DEMO_ENDPOINT: "s3.example.org" }],
    [["echo", "--endpoint", "http://127.0.0.1:9000", "--value", "ok"], {}],
  ];
  const results = [];
  for (const [args, env] of cases) {
    const c = capture(env);
    results.push([
      await runCli(cli, args, c.cliIo),
      (c.io.err || c.io.out).split("\n")[0]!.split("; expected")[0],
    ]);
  }
  expect(results).toEqual([
    [2, 'demo: unknown command "ehco". Did you mean "echo"? Commands: echo, fail.'],
    [2, "demo: error: Unknown option '--lod'. Did you mean --loud? Run 'demo echo --help'."],
    [2, 'demo: error: --endpoint: "http://[::1" is not a URL: its "[" of an IPv6 address is not closed'],
    [
      2,
      'demo: error: DEMO_ENDPOINT (the environment variable of --endpoint): "s3.example.org" is not a URL: it does not start with http:// or https://',
    ],
    [0, "ok"],
  ]);
});

test("--help and --version", async () => {
  const c = capture();
  expect(await runCli(cli, ["echo", "--help"], c.cliIo)).toBe(0);
  expect(c.io.out).toMatchInlineSnapshot(`
    "Usage: demo echo --value V

    Echo a value.

    Options:
          --value V       what to echo (env DEMO_VALUE)
          --loud          shout
          --endpoint URL  a URL (env DEMO_ENDPOINT)
          --json          machine-readable result on stdout
      -h, --help          show this help

    Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 partly done.
    "
  `);
  const v = capture();
  await runCli(cli, ["--version"], v.cliIo);
  expect(v.io.out).toBe("1.2.3\n");
});

test("help names the invocation: pnpm -s <name> under the root script of that name, else the bin", async () => {
  const firstLines = [];
  const envs: Array<Record<string, string>> = [
    { npm_lifecycle_event: "demo" },
    { npm_lifecycle_event: "test" },
    {},
  ];
  for (const env of envs) {
    const c = capture(env);
    await runCli(cli, ["--help"], c.cliIo);
    const lines = c.io.out.split("\n");
    firstLines.push([lines[0], lines.at(-3)]);
  }
  expect(firstLines).toEqual([
    [
      "Usage: pnpm -s demo <command> [options]",
      "Run 'pnpm -s demo <command> --help' for the options of a command.",
    ],
    ["Usage: demo <command> [options]", "Run 'demo <command> --help' for the options of a command."],
    ["Usage: demo <command> [options]", "Run 'demo <command> --help' for the options of a command."],
  ]);
});

test("typed flags: parse steps give typed values, defaults are parsed, every missing or bad flag is reported at once", async () => {
  const seen: unknown[] = [];
  const parseFormat = choiceFlag(["mermaid", "dot"]);
  const command = defineCommand({
    name: "",
    summary: "Typed flags.",
    flags: {
      fraction: { type: "string", description: "f", default: "0.5", parse: numberFlag({ min: 0, max: 1 }) },
      format: { type: "string", description: "f", default: "dot", parse: parseFormat },
      now: { type: "string", description: "d", env: "TYPED_NOW", parse: dateFlag },
      grace: { type: "string", description: "g", parse: durationFlag({ unit: "minutes", min: 0 }) },
      arch: { type: "string", description: "a", required: true },
      id: { type: "string", description: "i", env: "TYPED_ID", required: "the id of a pipeline" },
    },
    run({ flags, warn }) {
      // Typed without casts: these assignments fail to compile if the types drift.
      const fraction: number = flags.fraction;
      const format: "mermaid" | "dot" = flags.format;
      const now: Date | undefined = flags.now;
      const grace: number | undefined = flags.grace;
      const arch: string = flags.arch;
      seen.push({ fraction, format, now: now?.toISOString(), grace, arch, id: flags.id });
      warn([{ code: "FILE_IGNORED", file: "a.yaml", line: 2, col: 3, message: "odd" }]);
      return 0;
    },
  });
  const typed: CliSpec = { name: "typed", version: "1", description: "Typed flags.", commands: [command] };
  const ok = capture({ TYPED_NOW: "2026-01-31T12:00:00Z", TYPED_ID: "7" });
  expect(await runCli(typed, ["--arch", "amd64", "--grace", "2h"], ok.cliIo)).toBe(0);
  expect(seen).toEqual([
    { fraction: 0.5, format: "dot", now: "2026-01-31T12:00:00.000Z", grace: 120, arch: "amd64", id: "7" },
  ]);
  expect(ok.io.err).toBe("warning: a.yaml:2:3: odd\n");
  const bad = capture();
  expect(
    await runCli(
      typed,
      ["--fraction", "2", "--format", "svg", "--now", "yesterday", "--grace", "soon"],
      bad.cliIo,
    ),
  ).toBe(2);
  expect(bad.io.err.split("; ")).toEqual([
    'typed: error: --fraction: takes a number between 0 and 1, got "2"',
    '--format: takes one of mermaid, dot, got "svg"',
    '--now: takes an ISO 8601 date such as 2026-01-31T12:00:00Z, got "yesterday"',
    "--grace: takes a duration in minutes (a number ≥ 0",
    'or with a unit: 45s, 15m, 2h, 7d), got "soon"',
    "--arch is required",
    "--id (or TYPED_ID) is required: the id of a pipeline\n",
  ]);
  expect(seen).toHaveLength(1);
});

test("needs: a flag given without a flag it works with is reported with the other problems", async () => {
  const command = defineCommand({
    name: "",
    summary: "Needs.",
    flags: {
      variable: { type: "string", multiple: true, description: "v", needs: ["dotenv"] },
      dotenv: { type: "string", description: "d", env: "NEEDS_DOTENV" },
      bucket: { type: "string", description: "b", needs: ["key"] },
      key: { type: "string", description: "k", needs: ["bucket"] },
      count: {
        type: "string",
        description: "c",
        default: "1",
        parse: numberFlag({ min: 1 }),
        needs: ["key"],
      },
    },
    run: () => 0,
  });
  const spec: CliSpec = { name: "needs", version: "1", description: "Needs.", commands: [command] };
  const outcomes = [];
  for (const [args, env] of [
    [["--variable", "A=1", "--bucket", "b", "--count", "0"], {}],
    [["--variable", "A=1", "--key", "k", "--bucket", "b"], { NEEDS_DOTENV: "x.env" }],
    [[], {}],
  ] as const) {
    const c = capture(env);
    outcomes.push([await runCli(spec, args, c.cliIo), c.io.err]);
  }
  expect(outcomes).toEqual([
    [
      2,
      'needs: error: --count: takes a number ≥ 1, got "0"; --variable needs --dotenv (or NEEDS_DOTENV); --bucket needs --key; --count needs --key\n',
    ],
    [0, ""],
    [0, ""],
  ]);
});
