import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { waitFor } from "../src/index.js";

function probePort(port: number): Promise<string> {
  return new Promise((resolveProbe) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolveProbe("open");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolveProbe(error.code ?? error.message));
  });
}

test("servers and their temp dirs go away when the test process is SIGKILLed", {
  timeout: 60_000,
}, async () => {
  const script = fileURLToPath(new URL("./fixtures/start-services.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=spacktainers-source", "--import", "tsx", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const started = await waitFor(
    () => {
      if (child.exitCode !== null)
        throw Object.assign(new Error(`fixture exited: ${stderr}`), { abort: true });
      return stdout.includes("\n") && (JSON.parse(stdout) as { urls: string[]; directories: string[] });
    },
    { timeoutMs: 40_000, description: "the fixture's servers" },
  );
  const ports = started.urls.map((url) => Number(new URL(url).port));
  expect(await Promise.all(ports.map(probePort))).toEqual(["open", "open"]);
  expect(started.directories.map((directory) => existsSync(directory))).toEqual([true, true]);

  child.kill("SIGKILL"); // no exit handler runs: only the watchdogs can clean up

  const after = await waitFor(
    async () => {
      const state = {
        ports: await Promise.all(ports.map(probePort)),
        directories: started.directories.map((directory) => existsSync(directory)),
      };
      return (
        state.directories.every((exists) => !exists) && state.ports.every((port) => port !== "open") && state
      );
    },
    { timeoutMs: 10_000, description: "the servers to stop" },
  );
  expect(after).toEqual({ ports: ["ECONNREFUSED", "ECONNREFUSED"], directories: [false, false] });
});
