import { createHash } from "node:crypto";
import { SpacktainersError } from "@spacktainers/core";
import { formatImageReference, parseImageReference } from "./parse-image-reference.js";
import { type RegistryResponse, RegistryTransport } from "./registry-transport.js";

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

export { parseAuthenticateHeader } from "./registry-transport.js";

/** Creates a registry client. Credentials are read from the named env vars on first use. */
export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const transport = new RegistryTransport(options);
  return {
    getManifest: (reference) => getManifest(transport, reference),
    headManifest: (reference) => headManifest(transport, reference),
    getJsonBlob: (reference, digest) => getJsonBlob(transport, reference, digest),
    inspectImage: (inspect) => inspectImage(transport, inspect),
    close: () => transport.close(),
  };
}

function failure(status: number, what: string, body: Buffer): SpacktainersError {
  const excerpt = body.toString("utf8").slice(0, 200).replace(/\s+/g, " ");
  return new SpacktainersError({
    code: "REGISTRY_ERROR",
    message: `${what}: registry answered ${status}${excerpt ? ` (${excerpt})` : ""}`,
  });
}

/** The manifest request of a reference (by digest, else tag). */
function requestManifest(
  transport: RegistryTransport,
  reference: string,
  method: "GET" | "HEAD",
): Promise<RegistryResponse> {
  const ref = parseImageReference(reference);
  return transport.call(ref.registry, ref.repository, `manifests/${ref.digest ?? ref.tag}`, method, ACCEPT);
}

async function headManifest(transport: RegistryTransport, reference: string): Promise<string | undefined> {
  const response = await requestManifest(transport, reference, "HEAD");
  if (response.status === 404) return undefined;
  if (response.status !== 200)
    throw failure(
      response.status,
      `HEAD ${formatImageReference(parseImageReference(reference))}`,
      response.body,
    );
  return response.headers["docker-content-digest"] ?? (await getManifest(transport, reference))?.digest;
}

async function getManifest(
  transport: RegistryTransport,
  reference: string,
): Promise<FetchedManifest | undefined> {
  const ref = parseImageReference(reference);
  const response = await requestManifest(transport, reference, "GET");
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

async function getJsonBlob(
  transport: RegistryTransport,
  reference: string,
  digest: string,
): Promise<unknown> {
  const ref = parseImageReference(reference);
  const response = await transport.call(ref.registry, ref.repository, `blobs/${digest}`, "GET", "*/*");
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

/**
 * The arch's image manifest of `top`: `top` itself when it is an image manifest, else the
 * index entry of that platform (a `reason` when the index has none).
 */
async function platformManifest(
  transport: RegistryTransport,
  top: FetchedManifest,
  wanted: { registry: string; repository: string; normalized: string; os: string; arch: string },
): Promise<{ manifest: FetchedManifest; indexDigest?: string } | { reason: string }> {
  if (!INDEX_TYPES.includes(top.mediaType) && !(top.mediaType === "" && top.body.manifests))
    return { manifest: top };
  const { os, arch, normalized } = wanted;
  const [architecture = arch, variant] = arch.split("/");
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
        [entry.platform!.os, entry.platform!.architecture, entry.platform!.variant].filter(Boolean).join("/"),
      );
    return {
      reason: `${normalized} has no ${os}/${arch} image (index lists: ${available.join(", ") || "none"})`,
    };
  }
  const child = await getManifest(transport, `${wanted.registry}/${wanted.repository}@${match.digest}`);
  if (!child)
    throw new SpacktainersError({
      code: "REGISTRY_ERROR",
      message: `${normalized}: index lists ${match.digest} for ${os}/${arch} but the registry has no such manifest`,
    });
  return { manifest: child, indexDigest: top.digest };
}

async function inspectImage(
  transport: RegistryTransport,
  { reference, arch, os = "linux" }: InspectImageOptions,
): Promise<ImageInspection> {
  const ref = parseImageReference(reference);
  const normalized = formatImageReference(ref);
  const [architecture = arch] = arch.split("/");
  const top = await getManifest(transport, reference);
  if (!top)
    return { exists: false, reference: normalized, reason: `${normalized} not found in the registry` };
  const picked = await platformManifest(transport, top, {
    registry: ref.registry,
    repository: ref.repository,
    normalized,
    os,
    arch,
  });
  if ("reason" in picked) return { exists: false, reference: normalized, reason: picked.reason };
  const { manifest, indexDigest } = picked;
  if (!MANIFEST_TYPES.includes(manifest.mediaType) && !(manifest.mediaType === "" && manifest.body.config))
    throw new SpacktainersError({
      code: "REGISTRY_UNSUPPORTED_MANIFEST",
      message: `${normalized}: unsupported manifest type "${manifest.mediaType}" (expected one of ${Object.values(MEDIA_TYPES).join(", ")})`,
    });
  if (!manifest.body.config?.digest)
    throw new SpacktainersError({ code: "REGISTRY_ERROR", message: `${normalized}: manifest has no config` });
  const config = (await getJsonBlob(transport, reference, manifest.body.config.digest)) as {
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
