import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";

export interface CreateDispatcherOptions {
  /** Environment with `HTTP(S)_PROXY` / `NO_PROXY` (either case; lower-case wins, as in curl). */
  env: Record<string, string | undefined>;
  /** Verify the servers' TLS certificates (default true). */
  tlsVerify?: boolean;
  /** Headers and body inactivity timeout (default 30 s). */
  timeoutMs?: number;
}

/**
 * The undici dispatcher of our registry and Docker Hub requests: direct, or through the proxy of
 * `env` (jobs of an arch with `proxy: true` get `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`).
 */
export function createDispatcher({
  env,
  tlsVerify = true,
  timeoutMs = 30_000,
}: CreateDispatcherOptions): Dispatcher {
  const options = {
    connect: { rejectUnauthorized: tlsVerify },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
  const httpProxy = env.http_proxy || env.HTTP_PROXY || "";
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY || "";
  if (!httpProxy && !httpsProxy) return new Agent(options);
  // Empty strings, never undefined: undici would fall back to process.env.
  return new EnvHttpProxyAgent({
    ...options,
    requestTls: { rejectUnauthorized: tlsVerify },
    httpProxy,
    httpsProxy: httpsProxy || httpProxy,
    noProxy: env.no_proxy || env.NO_PROXY || "",
  });
}
