import { spawn } from "node:child_process";
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
}

/**
 * Runs a package's bin from its TypeScript source (`packages/<pkg>/src/bin.ts`) with the
 * `spacktainers-source` condition, so tests never run a stale dist/.
 */
export function runBin(
  pkg: string,
  args: readonly string[],
  options: RunBinOptions = {},
): Promise<BinResult> {
  const bin = resolve(REPO_ROOT, "packages", pkg, "src/bin.ts");
  const base = options.cleanEnv ? { PATH: process.env.PATH, HOME: process.env.HOME } : process.env;
  const env = { ...base, ...options.env, NO_COLOR: "1" };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=spacktainers-source", "--import", TSX_LOADER, bin, ...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: env as NodeJS.ProcessEnv,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
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
