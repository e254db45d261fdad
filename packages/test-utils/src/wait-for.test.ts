import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { freePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

describe("waitFor", () => {
  test("returns the first truthy value, retrying falsy results and throws", async () => {
    const results: (() => number | false | undefined)[] = [
      () => false,
      () => {
        throw new Error("not yet");
      },
      () => undefined,
      () => 42,
    ];
    let calls = 0;
    expect(await waitFor(() => results[calls++]!(), { intervalMs: 1 })).toBe(42);
    expect(calls).toBe(4);
  });

  test("times out with the description and the last error as cause", async () => {
    const error = await waitFor(
      () => {
        throw new Error("connection refused");
      },
      { timeoutMs: 30, intervalMs: 5, description: "the server" },
    ).catch((caught: Error) => caught);
    expect({ message: (error as Error).message, cause: ((error as Error).cause as Error).message }).toEqual({
      message: "timed out after 30 ms waiting for the server",
      cause: "connection refused",
    });
  });

  test("stops at once on an error marked abort", async () => {
    let calls = 0;
    const failure = Object.assign(new Error("process exited"), { abort: true });
    await expect(
      waitFor(
        () => {
          calls++;
          throw failure;
        },
        { timeoutMs: 5_000 },
      ),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});

describe("freePort", () => {
  test("returns a port that can be bound on 127.0.0.1", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => {
      server.on("error", reject);
      server.listen(port, "127.0.0.1", resolveListen);
    });
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((resolveClose) => server.close(resolveClose));
  });
});
