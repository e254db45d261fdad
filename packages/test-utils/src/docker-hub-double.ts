import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback double of Docker Hub's API: repositories and tags that exist answer 200, others 404. */
export async function startDockerHubDouble(options: {
  /** `namespace/repository` → its tags. */
  repositories: Record<string, string[]>;
}): Promise<{ url: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const match = /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)(?:\/tags\/([^/]+))?\/?$/.exec(
      req.url ?? "",
    );
    const tags = match ? options.repositories[`${match[1]}/${match[2]}`] : undefined;
    const found =
      tags !== undefined && (match![3] === undefined || tags.includes(decodeURIComponent(match![3])));
    res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(found ? { name: match![3] ?? match![2] } : { message: "object not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
