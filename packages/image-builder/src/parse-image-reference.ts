import type { ImageReference } from "@spacktainers/core";
import { parseImageReference as parseWrittenReference, SpacktainersError } from "@spacktainers/core";

/** Registry host Docker Hub's images are served from (a reference without a host means it). */
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

/**
 * Parses `[registry[:port]/]repository[:tag][@sha256:…]` for registry access: the grammar is the
 * definitions parser's (one parser of image references), then the reference is made explicit —
 * no host means Docker Hub, a bare Docker Hub name gets `library/`, a `docker://` scheme is
 * dropped. Throws `IMAGE_REFERENCE_INVALID` (exit 2).
 */
export function parseImageReference(text: string): ImageReference & { registry: string } {
  const original = text.trim();
  const { value, error } = parseWrittenReference(original.replace(/^docker:\/\//, ""));
  if (!value) throw invalid(original, error ?? "not an image reference");
  const registry =
    !value.registry || value.registry === "docker.io" || value.registry === "index.docker.io"
      ? DOCKER_HUB_REGISTRY
      : value.registry;
  const repository =
    registry === DOCKER_HUB_REGISTRY && !value.repository.includes("/")
      ? `library/${value.repository}`
      : value.repository;
  return { ...value, registry, repository, original };
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
