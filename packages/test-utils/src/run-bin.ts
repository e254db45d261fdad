import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (test-utils sits at packages/test-utils). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** tsx's loader, resolved from this package (which depends on tsx). */
const TSX_LOADER = import.meta.resolve("tsx");

/** Result of a bin run. */
export type BinResult = { code: number; stdout: string; stderr: string };

export interface RunBinOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Environment; replaces the process env when `cleanEnv` is set, else extends it. */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment (only PATH and HOME kept) — no CI_* leaking in from the host. */
  cleanEnv?: boolean;
  /** Text sent on stdin. */
  input?: string;
  /** Kill after this many ms (default 60 s). */
  timeoutMs?: number;
  /**
   * Run the published bin (`package.json` `bin`, which loads dist/) as a user of the package
   * does, instead of the source. The caller builds first.
   */
  built?: boolean;
}

/** `node` arguments that start a package's bin: the published one, or its source through tsx. */
function binArgs(pkg: string, built: boolean | undefined): string[] {
  const dir = resolve(REPO_ROOT, "packages", pkg);
  if (!built) return ["--conditions=spacktainers-source", "--import", TSX_LOADER, resolve(dir, "src/bin.ts")];
  const { bin } = JSON.parse(readFileSync(resolve(dir, "package.json"), "utf8")) as {
    bin: Record<string, string>;
  };
  return [resolve(dir, Object.values(bin)[0]!)];
}

/**
 * Runs a package's bin from its TypeScript source (`packages/<pkg>/src/bin.ts`) with the
 * `spacktainers-source` condition, so tests never run a stale dist/ (or, with `built`, the
 * published bin).
 */
export function runBin(
  pkg: string,
  args: readonly string[],
  options: RunBinOptions = {},
): Promise<BinResult> {
  const base = options.cleanEnv ? { PATH: process.env.PATH, HOME: process.env.HOME } : process.env;
  const env = { ...base, ...options.env, NO_COLOR: "1" };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...binArgs(pkg, options.built), ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}
