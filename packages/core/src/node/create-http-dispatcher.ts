import { Agent, type Dispatcher, Pool, ProxyAgent } from "undici";
import { proxyFor } from "./proxy-for.js";

export interface CreateHttpDispatcherOptions {
  /** Environment with `HTTP(S)_PROXY` / `NO_PROXY` (either case; lower-case wins, as in curl). */
  env: Record<string, string | undefined>;
  /** Verify the servers' TLS certificates (default true). */
  tlsVerify?: boolean;
  /** Headers and body inactivity timeout (default 30 s). */
  timeoutMs?: number;
  /** Connections per origin (default undici's: unlimited). */
  connections?: number;
}

/**
 * The undici dispatcher of our HTTP clients (registry, Docker Hub, GitLab API): per origin,
 * direct or through the proxy {@link proxyFor} picks from `env`, so every client reads
 * `NO_PROXY` the same way (address ranges included; undici's own `EnvHttpProxyAgent` skips
 * them). Jobs of an arch with `proxy: true`, and of `ci.proxy: true`, get those variables.
 */
export function createHttpDispatcher({
  env,
  tlsVerify = true,
  timeoutMs = 30_000,
  connections,
}: CreateHttpDispatcherOptions): Dispatcher {
  const tls = { rejectUnauthorized: tlsVerify };
  const timeouts = { headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
  return new Agent({
    ...timeouts,
    connect: tls,
    ...(connections !== undefined ? { connections } : {}),
    // The Agent asks once per origin and keeps what it gets.
    factory: (origin, options) => {
      const proxy = proxyFor(String(origin), env);
      if (!proxy) return new Pool(origin, options);
      return new ProxyAgent({ uri: proxy, ...timeouts, requestTls: tls, connect: tls });
    },
  });
}
