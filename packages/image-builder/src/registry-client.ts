import { createHash } from "node:crypto";
import { SpacktainersError } from "@spacktainers/core";
import { type Dispatcher, request } from "undici";
import { createDispatcher } from "./create-dispatcher.js";
import { formatImageReference, parseImageReference } from "./parse-image-reference.js";

/** Manifest media types we accept (distribution spec + Docker's two). */
export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

const ACCEPT = Object.values(MEDIA_TYPES).join(", ");
const INDEX_TYPES: string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList];
const MANIFEST_TYPES: string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

/** Where credentials of a registry are: NAMES of environment variables, never values. */
export type RegistryCredentialSource = {
  /** Registry host (`registry.example.org:5050`); absent: every registry without its own entry. */
  registry?: string;
  /** Variable holding the user name, e.g. `CI_REGISTRY_USER`. */
  userVar: string;
  /** Variable holding the password or token, e.g. `CI_REGISTRY_PASSWORD`. */
  passwordVar: string;
};

export interface RegistryClientOptions {
  /** Environment the credential variables are read from. */
  env?: Record<string, string | undefined>;
  /** Credential sources; a registry without one is accessed anonymously. */
  credentials?: RegistryCredentialSource[];
  /** Registries reached over plain HTTP (a loopback test registry); all others use HTTPS. */
  plainHttp?: string[];
  /**
   * Verify TLS certificates. Default true; only the site config may turn it off. When false, a
   * registry that does not speak HTTPS is reached over plain HTTP, as buildah and skopeo do with
   * `--tls-verify=false` (containers/image tries HTTPS, then HTTP when verification is off).
   */
  tlsVerify?: boolean;
  /** Request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

/** A manifest as fetched: its digest, media type and parsed body. */
export type FetchedManifest = {
  /** `sha256:…` of the manifest bytes (the `Docker-Content-Digest`). */
  digest: string;
  /** Media type (from the body, else the Content-Type). */
  mediaType: string;
  /** The parsed JSON. */
  body: ManifestBody;
};

/** The fields of an image index or image manifest we read. */
export type ManifestBody = {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Array<{
    mediaType?: string;
    digest: string;
    platform?: { architecture?: string; os?: string; variant?: string };
  }>;
  config?: { mediaType?: string; digest: string };
  layers?: Array<{ digest: string }>;
};

/** What `inspectImage` found for one architecture. */
export type ImageInspection =
  | {
      exists: true;
      /** The reference asked for, normalised (`registry/repository:tag`). */
      reference: string;
      /** Digest of the arch's image manifest (what `buildah push --digestfile` reports). */
      digest: string;
      /** Digest of the index the manifest was picked from, when the tag names an index. */
      indexDigest?: string;
      /** Media type of the arch's manifest. */
      mediaType: string;
      /** `architecture` of the image config. */
      architecture: string;
      /** `os` of the image config. */
      os: string;
      /** Labels of the image config (`config.Labels`), `{}` when none. */
      labels: Record<string, string>;
      /** `created` of the image config, when set. */
      created?: string;
    }
  | {
      exists: false;
      reference: string;
      /** Why not: tag absent, or no manifest for the requested arch (no fallback to another). */
      reason: string;
    };

/** A client of one or more OCI registries (distribution spec v1.1). */
export type RegistryClient = {
  /** HEAD then (if needed) GET a manifest by tag or digest; `undefined` when the registry says 404. */
  getManifest(reference: string): Promise<FetchedManifest | undefined>;
  /** Digest of a manifest by HEAD only; `undefined` on 404. */
  headManifest(reference: string): Promise<string | undefined>;
  /** A JSON blob (an image config). */
  getJsonBlob(reference: string, digest: string): Promise<unknown>;
  /** The manifest, config and labels of `reference` for one architecture. */
  inspectImage(options: InspectImageOptions): Promise<ImageInspection>;
  /** Closes connections. */
  close(): Promise<void>;
};

export interface InspectImageOptions {
  /** Image reference `[registry/]repository[:tag|@digest]`. */
  reference: string;
  /** Architecture wanted (`amd64`, `arm64`, or `arm64/v8` to require a variant). */
  arch: string;
  /** OS wanted (default `linux`). */
  os?: string;
}

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

type Response = { status: number; headers: Record<string, string>; body: Buffer };

/** Creates a registry client. Credentials are read from the named env vars on first use. */
export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const env = options.env ?? {};
  const dispatcher: Dispatcher = createDispatcher({
    env,
    ...(options.tlsVerify !== undefined ? { tlsVerify: options.tlsVerify } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const tokens = new Map<string, string>();
  const plainHttp = new Set(options.plainHttp ?? []);
  /** Registries found to answer only plain HTTP (with `tlsVerify: false`). */
  const httpOnly = new Set<string>();
  /** Registries that answered over HTTPS. */
  const httpsSeen = new Set<string>();

  function credentialsFor(registry: string): { username: string; password: string } | undefined {
    const sources = options.credentials ?? [];
    const source =
      sources.find((s) => s.registry === registry) ?? sources.find((s) => s.registry === undefined);
    if (!source) return undefined;
    const username = env[source.userVar];
    const password = env[source.passwordVar];
    if (!username || !password) return undefined;
    return { username, password };
  }

  function baseUrl(registry: string): string {
    return `${plainHttp.has(registry) || httpOnly.has(registry) ? "http" : "https"}://${registry}`;
  }

  /**
   * `send` to the registry; with `tlsVerify: false`, a registry that cannot be reached over
   * HTTPS on the first request is tried over plain HTTP and remembered, as containers/image does
   * for `--tls-verify=false` (so the plan sees what the build and push jobs see).
   */
  async function sendToRegistry(
    registry: string,
    path: string,
    method: "GET" | "HEAD",
    headers: Record<string, string>,
  ): Promise<Response> {
    const url = `${baseUrl(registry)}${path}`;
    const mayFallBack = options.tlsVerify === false && url.startsWith("https:") && !httpsSeen.has(registry);
    try {
      const response = await send(url, method, headers);
      if (url.startsWith("https:")) httpsSeen.add(registry);
      return response;
    } catch (error) {
      if (!mayFallBack || !SpacktainersError.isInstance(error) || error.code !== "REGISTRY_UNREACHABLE")
        throw error;
      const response = await send(`http://${registry}${path}`, method, headers).catch(() => {
        throw error;
      });
      httpOnly.add(registry);
      return response;
    }
  }

  async function send(
    url: string,
    method: "GET" | "HEAD",
    headers: Record<string, string>,
  ): Promise<Response> {
    let current = url;
    let currentHeaders = headers;
    for (let hop = 0; hop < 5; hop++) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(current, { method, headers: currentHeaders, dispatcher });
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

  async function fetchToken(registry: string, challenge: Challenge, scope: string): Promise<string> {
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
    const credentials = credentialsFor(registry);
    if (credentials)
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    const response = await send(url.toString(), "GET", headers);
    if (response.status !== 200)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `token service ${url.origin}${url.pathname} answered ${response.status} for ${registry}${credentials ? " (credentials rejected?)" : " (anonymous)"}`,
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

  /** One authenticated request: anonymous or cached token first, then answer a 401 challenge once. */
  async function call(
    registry: string,
    repository: string,
    path: string,
    method: "GET" | "HEAD",
    accept: string,
  ): Promise<Response> {
    const scope = `repository:${repository}:pull`;
    const key = `${registry} ${scope}`;
    const url = `/v2/${repository}/${path}`;
    const headers: Record<string, string> = { accept };
    const cached = tokens.get(key);
    if (cached) headers.authorization = cached;
    let response = await sendToRegistry(registry, url, method, headers);
    if (response.status !== 401) return response;
    const challenge = parseAuthenticateHeader(response.headers["www-authenticate"] ?? "");
    let authorization: string | undefined;
    if (challenge?.scheme === "bearer")
      authorization = `Bearer ${await fetchToken(registry, challenge, scope)}`;
    else if (challenge?.scheme === "basic") {
      const credentials = credentialsFor(registry);
      if (credentials)
        authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    }
    if (!authorization || authorization === cached)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        message: `${registry} refused access to ${repository} (401) and no usable credentials were configured`,
      });
    tokens.set(key, authorization);
    response = await sendToRegistry(registry, url, method, { ...headers, authorization });
    if (response.status === 401)
      throw new SpacktainersError({
        code: "REGISTRY_AUTH",
        // Docker Hub answers 401, not 404, for a repository that does not exist.
        message: `${registry} refused access to ${repository} (401) with ${credentialsFor(registry) ? "the configured credentials" : "an anonymous token"}: check that the repository exists and the credentials may pull it`,
      });
    return response;
  }

  function failure(status: number, what: string, body: Buffer): SpacktainersError {
    const excerpt = body.toString("utf8").slice(0, 200).replace(/\s+/g, " ");
    return new SpacktainersError({
      code: "REGISTRY_ERROR",
      message: `${what}: registry answered ${status}${excerpt ? ` (${excerpt})` : ""}`,
    });
  }

  async function headManifest(reference: string): Promise<string | undefined> {
    const ref = parseImageReference(reference);
    const response = await call(
      ref.registry,
      ref.repository,
      `manifests/${ref.digest ?? ref.tag}`,
      "HEAD",
      ACCEPT,
    );
    if (response.status === 404) return undefined;
    if (response.status !== 200)
      throw failure(response.status, `HEAD ${formatImageReference(ref)}`, response.body);
    return response.headers["docker-content-digest"] ?? (await getManifest(reference))?.digest;
  }

  async function getManifest(reference: string): Promise<FetchedManifest | undefined> {
    const ref = parseImageReference(reference);
    const response = await call(
      ref.registry,
      ref.repository,
      `manifests/${ref.digest ?? ref.tag}`,
      "GET",
      ACCEPT,
    );
    if (response.status === 404) return undefined;
    if (response.status !== 200)
      throw failure(response.status, `GET ${formatImageReference(ref)}`, response.body);
    const body = JSON.parse(response.body.toString("utf8")) as ManifestBody;
    const mediaType = body.mediaType ?? response.headers["content-type"]?.split(";")[0]?.trim() ?? "";
    const digest = `sha256:${createHash("sha256").update(response.body).digest("hex")}`;
    if (ref.digest && ref.digest !== digest)
      throw new SpacktainersError({
        code: "REGISTRY_DIGEST_MISMATCH",
        message: `${formatImageReference(ref)}: the registry served a manifest whose digest is ${digest}`,
      });
    return { digest, mediaType, body };
  }

  async function getJsonBlob(reference: string, digest: string): Promise<unknown> {
    const ref = parseImageReference(reference);
    const response = await call(ref.registry, ref.repository, `blobs/${digest}`, "GET", "*/*");
    if (response.status !== 200)
      throw failure(response.status, `GET blob ${digest} of ${ref.repository}`, response.body);
    const actual = `sha256:${createHash("sha256").update(response.body).digest("hex")}`;
    if (actual !== digest)
      throw new SpacktainersError({
        code: "REGISTRY_DIGEST_MISMATCH",
        message: `blob ${digest} of ${ref.repository} has digest ${actual}`,
      });
    return JSON.parse(response.body.toString("utf8"));
  }

  async function inspectImage({
    reference,
    arch,
    os = "linux",
  }: InspectImageOptions): Promise<ImageInspection> {
    const ref = parseImageReference(reference);
    const normalized = formatImageReference(ref);
    const [architecture = arch, variant] = arch.split("/");
    const top = await getManifest(reference);
    if (!top)
      return { exists: false, reference: normalized, reason: `${normalized} not found in the registry` };
    let manifest = top;
    let indexDigest: string | undefined;
    if (INDEX_TYPES.includes(top.mediaType) || (top.mediaType === "" && top.body.manifests)) {
      const entries = top.body.manifests ?? [];
      const match = entries.find(
        (entry) =>
          entry.platform?.architecture === architecture &&
          (entry.platform?.os ?? "linux") === os &&
          (variant === undefined || entry.platform?.variant === variant),
      );
      if (!match) {
        const available = entries
          .filter((entry) => entry.platform?.architecture && entry.platform.architecture !== "unknown")
          .map((entry) =>
            [entry.platform!.os, entry.platform!.architecture, entry.platform!.variant]
              .filter(Boolean)
              .join("/"),
          );
        return {
          exists: false,
          reference: normalized,
          reason: `${normalized} has no ${os}/${arch} image (index lists: ${available.join(", ") || "none"})`,
        };
      }
      indexDigest = top.digest;
      const child = await getManifest(`${ref.registry}/${ref.repository}@${match.digest}`);
      if (!child)
        throw new SpacktainersError({
          code: "REGISTRY_ERROR",
          message: `${normalized}: index lists ${match.digest} for ${os}/${arch} but the registry has no such manifest`,
        });
      manifest = child;
    }
    if (!MANIFEST_TYPES.includes(manifest.mediaType) && !(manifest.mediaType === "" && manifest.body.config))
      throw new SpacktainersError({
        code: "REGISTRY_UNSUPPORTED_MANIFEST",
        message: `${normalized}: unsupported manifest type "${manifest.mediaType}" (expected one of ${Object.values(MEDIA_TYPES).join(", ")})`,
      });
    if (!manifest.body.config?.digest)
      throw new SpacktainersError({
        code: "REGISTRY_ERROR",
        message: `${normalized}: manifest has no config`,
      });
    const config = (await getJsonBlob(reference, manifest.body.config.digest)) as {
      architecture?: string;
      os?: string;
      created?: string;
      config?: { Labels?: Record<string, string> | null };
    };
    // A single-arch tag of another architecture is "absent for this arch", never used instead.
    if (config.architecture !== architecture || (config.os ?? os) !== os)
      return {
        exists: false,
        reference: normalized,
        reason: `${normalized} is a ${config.os ?? "?"}/${config.architecture ?? "?"} image, not ${os}/${arch}`,
      };
    return {
      exists: true,
      reference: normalized,
      digest: manifest.digest,
      ...(indexDigest ? { indexDigest } : {}),
      mediaType: manifest.mediaType,
      architecture,
      os: config.os ?? os,
      labels: { ...(config.config?.Labels ?? {}) },
      ...(config.created ? { created: config.created } : {}),
    };
  }

  return {
    getManifest,
    headManifest,
    getJsonBlob,
    inspectImage,
    close: () => dispatcher.close(),
  };
}
