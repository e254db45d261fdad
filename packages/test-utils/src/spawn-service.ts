import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

/**
 * POSIX sh wrapper that runs the service in the background and kills it when our end of its
 * stdin pipe closes — which also happens when the test process is SIGKILLed and can run no exit
 * handler (a vitest worker killed on timeout must not leave servers behind on a shared machine).
 * The wrapper exits with the service's status, so an early crash (port taken, bad config) is seen.
 * It then removes the service's temp dir (if given), which no exit handler could do after SIGKILL.
 */
const WATCHDOG_SCRIPT = `
cleanup_dir=$1
shift
exec 3<&0 0</dev/null
"$@" &
pid=$!
trap 'kill $pid 2>/dev/null' TERM INT HUP
{ cat <&3 >/dev/null 2>&1; kill $pid 2>/dev/null; } &
watcher=$!
# From here on the shell itself must not write: after a SIGKILLed parent its stderr is a broken
# pipe, and dash's "Terminated" job notice would kill it with SIGPIPE before the cleanup.
exec 3<&- 2>/dev/null
wait $pid
status=$?
while kill -0 $pid 2>/dev/null; do wait $pid; status=$?; done
kill $watcher 2>/dev/null
[ -n "$cleanup_dir" ] && rm -rf "$cleanup_dir"
exit $status
`;

const OUTPUT_LIMIT = 64 * 1024;
const running = new Set<ChildProcessWithoutNullStreams>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Belt and braces: the watchdog already fires when the pipe closes at exit.
  process.on("exit", () => {
    for (const child of running) child.kill("SIGTERM");
  });
}

export interface SpawnServiceOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A directory removed once the service exited, however the test process ended. */
  removeOnExit?: string;
}

/** A long-running child process started by {@link spawnService}. */
export interface ServiceProcess {
  /** Resolves when the service (and its wrapper) exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it already exited. */
  hasExited(): boolean;
  /** The last 64 KiB of its stdout and stderr, interleaved. */
  output(): string;
  /** Resolves with the first stdout line matching `pattern` (rejects if the service exits first). */
  waitForLine(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Stops it (SIGTERM, then SIGKILL after `graceMs`) and waits until it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command args…` as a service that dies with the test process (see WATCHDOG_SCRIPT). */
export function spawnService(
  command: string,
  args: readonly string[],
  options: SpawnServiceOptions = {},
): ServiceProcess {
  installExitHandler();
  const child = spawn(
    "/bin/sh",
    ["-c", WATCHDOG_SCRIPT, "spacktainers-service", options.removeOnExit ?? "", command, ...args],
    {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  running.add(child);
  let output = "";
  let stdoutBuffer = "";
  let done = false;
  const lineWaiters: { pattern: RegExp; resolve(match: RegExpMatchArray): void }[] = [];
  const append = (chunk: string) => {
    output = (output + chunk).slice(-OUTPUT_LIMIT);
  };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    append(chunk);
    stdoutBuffer += chunk;
    let newline = stdoutBuffer.indexOf("\n");
    while (newline >= 0) {
      const line = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      for (const waiter of [...lineWaiters]) {
        const match = line.match(waiter.pattern);
        if (match) {
          lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
      newline = stdoutBuffer.indexOf("\n");
    }
  });
  child.stderr.setEncoding("utf8").on("data", append);
  // A closed pipe (service gone) must not crash the test process.
  child.stdin.on("error", () => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on("error", (error) => {
      append(`\nspawn failed: ${error.message}\n`);
    });
    child.on("close", (code, signal) => {
      done = true;
      running.delete(child);
      resolveExit({ code, signal });
    });
  });

  return {
    exited,
    hasExited: () => done,
    output: () => output,
    waitForLine(pattern) {
      return new Promise((resolveLine, reject) => {
        lineWaiters.push({ pattern, resolve: resolveLine });
        exited.then(({ code, signal }) =>
          reject(
            new Error(
              `${command} exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${output}`,
            ),
          ),
        );
      });
    },
    async stop(graceMs = 5_000) {
      if (done) return;
      child.stdin.end(); // the watchdog sends SIGTERM to the service
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
