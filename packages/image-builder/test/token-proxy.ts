import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback registry front that demands Bearer tokens, like GitLab's or Docker Hub's. */
export type TokenProxy = {
  /** `127.0.0.1:PORT`: use it as the registry host of image references. */
  host: string;
  /** Every token request seen: `service`, `scope` and the basic user (never the password). */
  tokenRequests: Array<{ service: string | null; scope: string | null; user: string | undefined }>;
  stop(): Promise<void>;
};

/**
 * Forwards `/v2/…` to a real registry once the request carries `Bearer <token>`; without it,
 * answers 401 with `WWW-Authenticate: Bearer realm=…/token,service=…,scope=…`. `/token` hands
 * out the token for the right basic credentials (or anonymously when `anonymous` is set).
 */
export async function startTokenProxy(options: {
  upstream: string;
  user: string;
  password: string;
  anonymous?: boolean;
}): Promise<TokenProxy> {
  const token = "test-token-0123456789";
  const tokenRequests: TokenProxy["tokenRequests"] = [];
  let host = "";
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", `http://${host}`);
    if (url.pathname === "/token") {
      const auth = req.headers.authorization;
      const [user, password] = auth?.startsWith("Basic ")
        ? Buffer.from(auth.slice(6), "base64").toString("utf8").split(":")
        : [];
      tokenRequests.push({
        service: url.searchParams.get("service"),
        scope: url.searchParams.get("scope"),
        user,
      });
      const ok = (user === options.user && password === options.password) || (!auth && options.anonymous);
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { token, expires_in: 300 } : { errors: [{ code: "UNAUTHORIZED" }] }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repository = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(url.pathname)?.[1] ?? "";
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${repository}:pull"`,
        "content-type": "application/json",
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const upstream = await fetch(`${options.upstream}${url.pathname}`, {
      method: req.method,
      headers: { accept: req.headers.accept ?? "*/*" },
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "docker-content-digest"]) {
      const value = upstream.headers.get(name);
      if (value) headers[name] = value;
    }
    res.writeHead(upstream.status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    tokenRequests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
