import { createServer } from "node:net";

/**
 * Returns a TCP port that is free on 127.0.0.1 right now (the OS picks it). Another process can
 * still take it before the caller binds; services that can bind port 0 themselves should do so.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error("no port assigned"))));
    });
  });
}
