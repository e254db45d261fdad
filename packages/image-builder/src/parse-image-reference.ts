import type { ImageReference } from "@spacktainers/core";
import { SpacktainersError } from "@spacktainers/core";

/** Registry host Docker Hub's images are served from (a reference without a host means it). */
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses `[registry[:port]/]repository[:tag][@sha256:…]` (Docker's rules: the first component is
 * a registry when it has a dot or a colon, or is `localhost`; a bare Docker Hub name gets
 * `library/`; a missing tag means `latest`).
 */
export function parseImageReference(text: string): ImageReference & { registry: string } {
  const original = text.trim();
  let rest = original.replace(/^docker:\/\//, "");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(original, `digest "${digest}" is not sha256:<64 hex>`);
  }
  const slash = rest.indexOf("/");
  const first = slash === -1 ? "" : rest.slice(0, slash);
  let registry = DOCKER_HUB_REGISTRY;
  if (first !== "" && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = rest.slice(slash + 1);
  }
  if (registry === "docker.io" || registry === "index.docker.io") registry = DOCKER_HUB_REGISTRY;
  let tag = "latest";
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw invalid(original, `tag "${tag}" is invalid`);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest))
    throw invalid(original, `repository "${rest}" is invalid`);
  const repository = registry === DOCKER_HUB_REGISTRY && !rest.includes("/") ? `library/${rest}` : rest;
  return { registry, repository, tag, ...(digest ? { digest } : {}), original };
}

/** `registry/repository:tag` (or `@digest` when pinned), the form skopeo and buildah take. */
export function formatImageReference(reference: ImageReference & { registry: string }): string {
  const base = `${reference.registry}/${reference.repository}`;
  return reference.digest ? `${base}@${reference.digest}` : `${base}:${reference.tag}`;
}

function invalid(reference: string, detail: string): SpacktainersError {
  return new SpacktainersError({
    code: "IMAGE_REFERENCE_INVALID",
    message: `invalid image reference "${reference}": ${detail}`,
    exitCode: 2,
  });
}
