import type { ImageReference } from "../model/container-definition.js";

// The grammar of a Docker/OCI image reference (distribution/reference, `reference.go`):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component ( "/" path-component )*
//   domain    := host [ ":" port ]   — the first component is a domain only when it holds a
//                "." or a ":" or is "localhost", else `bluebrain/nexus-storage` would be a host.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The tag used when a reference names none (Docker's rule). */
export const DEFAULT_TAG = "latest";

/**
 * Parses an image reference such as `bluebrain/nexus-storage:latest`,
 * `registry.example.org:5050/ns/img:tag` or `img@sha256:<64 hex>`. A missing tag means
 * `latest`. The repository is kept as written (`ubuntu` stays `ubuntu`, not `library/ubuntu`),
 * so tags derived from it match what the user wrote. Returns an error message instead of
 * throwing when the text is not a reference.
 */
export function parseImageReference(text: string): { value?: ImageReference; error?: string } {
  const original = text.trim();
  if (original === "") return { error: "the image reference is empty" };
  if (/\s/.test(original))
    return { error: `"${original}" contains whitespace; expected one image reference` };
  if (/^[a-z]+:\/\//.test(original))
    return {
      error: `"${original}" has a URL scheme; with "Bootstrap: docker" write the reference without "docker://"`,
    };
  let rest = original;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      return { error: `"${digest}" is not a digest; expected sha256: followed by 64 hex characters` };
    if (digest.startsWith("sha256:") && !SHA256_DIGEST.test(digest))
      return {
        error: `"${digest}" is not a sha256 digest; expected sha256: followed by 64 lowercase hex characters`,
      };
  }
  const components = rest.split("/");
  let registry: string | undefined;
  if (components.length > 1) {
    const first = components[0]!;
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      components.shift();
      if (!DOMAIN.test(registry)) return { error: `"${registry}" is not a registry host[:port]` };
    }
  }
  let tag: string | undefined;
  const last = components[components.length - 1]!;
  const colon = last.indexOf(":");
  if (colon !== -1) {
    tag = last.slice(colon + 1);
    components[components.length - 1] = last.slice(0, colon);
    if (!TAG.test(tag))
      return {
        error: `"${tag}" is not a valid tag; tags use letters, digits, "_", "." and "-" (at most 128)`,
      };
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      return {
        error: `"${component}" is not a valid repository name component in "${original}"; use lowercase letters, digits and separators "." "_" "__" "-"`,
      };
    }
  }
  const repository = components.join("/");
  return {
    value: {
      ...(registry ? { registry } : {}),
      repository,
      tag: tag ?? DEFAULT_TAG,
      ...(digest ? { digest } : {}),
      original,
    },
  };
}
