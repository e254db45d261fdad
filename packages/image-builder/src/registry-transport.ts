import { SpacktainersError } from "@spacktainers/core";
import { type Dispatcher, request } from "undici";
import { createDispatcher } from "./create-dispatcher.js";
import type { RegistryClientOptions } from "./registry-client.js";

type Challenge = { scheme: string; params: Record<string, string> };

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`. */
export function parseAuthenticateHeader(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const param of match[2]!.matchAll(pattern))
    params[param[1]!.toLowerCase()] = (param[2] ?? param[3] ?? "").replace(/\\(.)/g, "$1");
  return { scheme: match[1]!.toLowerCase(), params };
}

/** A registry's answer, body read whole, header names lower-case. */
export type RegistryResponse = { status: number; headers: Record<string, string>; body: Buffer };

/**
 * The HTTP side of a registry client: redirects (dropping the token across origins), the
 * plain-HTTP fallback of `tlsVerify: false`, Basic credentials from named env vars and Bearer
 * tokens fetched on a 401 challenge and cached per registry and scope.
 */
export class RegistryTransport {
  private readonly env: Record<string, string | undefined>;
  private readonly dispatcher: Dispatcher;
  private readonly tokens = new Map<string, string>();
  private readonly plainHttp: Set<string>;
  /** Registries found to answer only plain HTTP (with `tlsVerify: false`). */
  private readonly httpOnly = new Set<string>();
  /** Registries that answered over HTTPS. */
  private readonly httpsSeen = new Set<string>();

  constructor(private readonly options: RegistryClientOptions) {
    this.env = options.env ?? {};
    this.dispatcher = createDispatcher({
      env: this.env,
      ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    this.plainHttp = new Set(options.plainHttp ?? []);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  /** One authenticated request: anonymous or cached token first, then answer a 401 challenge once. */
  async call(
    registry: string,
    repository: string,
    path: string,
    method: "GET" | "HEAD",
    accept: string,
  ): Promise<RegistryResponse> {
    const scope = `repository:${repository}:pull`;
    const key = `${registry} ${scope}`;
    const url = `/v2/${repository}/${path}`;
    const headers: Record<string, string> = { accept };
    const cached = this.tokens.get(key);
    if (cached) headers.authorization = cached;
    let response = await this.sendToRegistry(registry, url, method, headers);
    if (response.status !== 401) return response;
    const authorization = await this.answerChallenge(registry, response, scope);
    if (!authorization || authorization === cached)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `${registry} refused access to ${repository} (401) and no usable credentials were configured`,
      });
    this.tokens.set(key, authorization);
    response = await this.sendToRegistry(registry, url, method, { ...headers, authorization });
    if (response.status === 401)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        // Docker Hub answers 401, not 404, for a repository that does not exist.
        message: `${registry} refused access to ${repository} (401) with ${this.credentialsFor(registry) ? "the configured credentials" : "an anonymous token"}: check that the repository exists and the credentials may pull it`,
      });
    return response;
  }

  /** The Authorization a 401's challenge asks for: a Bearer token, or Basic credentials. */
  private async answerChallenge(
    registry: string,
    response: RegistryResponse,
    scope: string,
  ): Promise<string | undefined> {
    const challenge = parseAuthenticateHeader(response.headers["www-authenticate"] ?? "");
    if (challenge?.scheme === "bearer") return `Bearer ${await this.fetchToken(registry, challenge, scope)}`;
    if (challenge?.scheme !== "basic") return undefined;
    return this.basicAuthorization(registry);
  }

  private credentialsFor(registry: string): { username: string; password: string } | undefined {
    const sources = this.options.credentials ?? [];
    const source =
      sources.find((s) => s.registry === registry) ?? sources.find((s) => s.registry === undefined);
    if (!source) return undefined;
    const username = this.env[source.userVar];
    const password = this.env[source.passwordVar];
    if (!username || !password) return undefined;
    return { username, password };
  }

  private basicAuthorization(registry: string): string | undefined {
    const credentials = this.credentialsFor(registry);
    if (!credentials) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  }

  private baseUrl(registry: string): string {
    return `${this.plainHttp.has(registry) || this.httpOnly.has(registry) ? "http" : "https"}://${registry}`;
  }

  /**
   * `send` to the registry; with `tlsVerify: false`, a registry that cannot be reached over
   * HTTPS on the first request is tried over plain HTTP and remembered, as containers/image does
   * for `--tls-verify=false` (so the plan sees what the build and push jobs see).
   */
  private async sendToRegistry(
    registry: string,
    path: string,
    method: "GET" | "HEAD",
    headers: Record<string, string>,
  ): Promise<RegistryResponse> {
    const url = `${this.baseUrl(registry)}${path}`;
    const mayFallBack =
      this.options.tlsVerify === false && url.startsWith("https:") && !this.httpsSeen.has(registry);
    try {
      const response = await this.send(url, method, headers);
      if (url.startsWith("https:")) this.httpsSeen.add(registry);
      return response;
    } catch (error) {
      if (!mayFallBack || !SpacktainersError.isInstance(error) || error.code !== "REGISTRY_UNREACHABLE")
        throw error;
      const response = await this.send(`http://${registry}${path}`, method, headers).catch(() => {
        throw error;
      });
      this.httpOnly.add(registry);
      return response;
    }
  }

  /** One request, following up to 5 redirects. */
  private async send(
    url: string,
    method: "GET" | "HEAD",
    headers: Record<string, string>,
  ): Promise<RegistryResponse> {
    let current = url;
    let currentHeaders = headers;
    for (let hop = 0; hop < 5; hop++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(current, { method, headers: currentHeaders, dispatcher: this.dispatcher });
      } catch (error) {
        throw new SpacktainersError({
          code: "REGISTRY_UNREACHABLE",
          message: `cannot reach ${new URL(current).origin}: ${(error as Error).message}`,
          cause: error,
        });
      }
      const body = Buffer.from(await response.body.arrayBuffer());
      const flat: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers))
        if (value !== undefined) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      if ([301, 302, 303, 307, 308].includes(response.statusCode) && flat.location) {
        const next = new URL(flat.location, current);
        // Blob redirects go to storage (S3, a CDN) that must not see the registry's token.
        if (next.origin !== new URL(current).origin) {
          const { authorization: _dropped, ...rest } = currentHeaders;
          currentHeaders = rest;
        }
        current = next.toString();
        continue;
      }
      return { status: response.statusCode, headers: flat, body };
    }
    throw new SpacktainersError({ code: "REGISTRY_ERROR", message: `too many redirects from ${url}` });
  }

  private async fetchToken(registry: string, challenge: Challenge, scope: string): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `${registry} asked for a Bearer token without a realm`,
      });
    const url = new URL(realm);
    if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
    url.searchParams.set("scope", challenge.params.scope ?? scope);
    const headers: Record<string, string> = { accept: "application/json" };
    const basic = this.basicAuthorization(registry);
    if (basic) headers.authorization = basic;
    const response = await this.send(url.toString(), "GET", headers);
    if (response.status !== 200)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `token service ${url.origin}${url.pathname} answered ${response.status} for ${registry}${basic ? " (credentials rejected?)" : " (anonymous)"}`,
      });
    const json = JSON.parse(response.body.toString("utf8")) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `token service for ${registry} returned no token`,
      });
    return token;
  }
}
