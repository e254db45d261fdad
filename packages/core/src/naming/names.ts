import type { CiContext } from "../model/ci-context.js";

/**
 * Container names end up in shell lines, image names and S3 keys. `__` is refused:
 * it separates the parts of tags and SIF names (`<name>__<tag>.sif`), which must stay readable.
 */
export const CONTAINER_NAME_PATTERN = /^(?!.*__)[a-z0-9][a-z0-9._-]*$/;

/** The architecture that gets no suffix on Spack container tags (reference rule). */
export const UNSUFFIXED_ARCH = "amd64";

/** Separator between tag parts; a double underscore never occurs in a branch slug. */
export const TAG_SEPARATOR = "__";

/**
 * Tag of a Spack container image: `<version>` on prod, `<version>__<slug>` on a branch; any arch
 * other than amd64 appends `-<arch>` (the reference did this for arm64; kept).
 */
export function spackContainerTag({
  version,
  context,
  arch,
}: {
  version: string;
  context: Pick<CiContext, "isProd" | "refSlug">;
  arch: string;
}): string {
  const base = context.isProd ? version : `${version}${TAG_SEPARATOR}${context.refSlug}`;
  return arch === UNSUFFIXED_ARCH ? base : `${base}-${arch}`;
}

/** Tag of a custom (`.def`) container: `<sourceTag>[__<slug>]__<arch>`. */
export function customContainerTag({
  sourceTag,
  context,
  arch,
}: {
  sourceTag: string;
  context: Pick<CiContext, "isProd" | "refSlug">;
  arch: string;
}): string {
  const parts = [sourceTag, ...(context.isProd ? [] : [context.refSlug]), arch];
  return parts.join(TAG_SEPARATOR);
}

/** File name of a container's SIF: `<name>__<tag>.sif`. */
export function sifFileName(name: string, tag: string): string {
  return `${name}${TAG_SEPARATOR}${tag}.sif`;
}

/** S3 key of a SIF under the containers bucket prefix (default `containers/`). */
export function sifObjectKey(prefix: string, name: string, tag: string): string {
  const normalized = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${normalized}${sifFileName(name, tag)}`;
}

/**
 * What a site copy of a SIF (`sif_deploy.directory`) is a copy of; kept beside the SIF as
 * {@link siteSifRecordFileName}, written by the deploy job and the site sync, compared with the
 * object's metadata by the site sync.
 */
export type SiteSifRecord = {
  /** Bucket the SIF was copied from. */
  bucket: string;
  /** Its object key. */
  key: string;
  /** Its size in bytes. */
  size: number;
  /** Its object metadata, names lower-case (`container-checksum`, `spack-lock-sha256`; custom: `digest`). */
  metadata: Record<string, string>;
};

/** The record file beside a site SIF: `.<file>.metadata.json` (hidden, so listings show SIFs only). */
export function siteSifRecordFileName(sifFile: string): string {
  return `.${sifFile}.metadata.json`;
}

/** Length of the checksum prefix used as a base-image tag. */
export const BASE_IMAGE_TAG_LENGTH = 12;

/**
 * Tag of a base image (builder, runtime, singularitah): the first 12 hex of the checksum of its
 * inputs. Content-addressed, so it is computed once per pipeline and never depends on the date
 * (the reference used the date, and a pipeline crossing midnight referenced a missing tag).
 */
export function baseImageTag(checksum: string): string {
  if (!/^[0-9a-f]{64}$/.test(checksum)) throw new Error(`baseImageTag: not a sha256 hex: ${checksum}`);
  return checksum.slice(0, BASE_IMAGE_TAG_LENGTH);
}

/** Registry repository `<prefix>/<name>` (no tag); a trailing `/` of the prefix is dropped. */
export function imageRepository(prefix: string, name: string): string {
  return `${prefix.replace(/\/+$/, "")}/${name}`;
}

/** Full image reference `<prefix>/<name>:<tag>`. */
export function imageReference(prefix: string, name: string, tag: string): string {
  return `${imageRepository(prefix, name)}:${tag}`;
}

/**
 * Expands `${CI_REGISTRY_IMAGE}` and `$CI_REGISTRY_IMAGE` (not `$CI_REGISTRY_IMAGE_X`) in an
 * image prefix or reference when the context knows the variable; leaves the text for GitLab
 * to expand otherwise (offline, or in YAML a job reads).
 */
export function expandRegistryImage(text: string, context: Pick<CiContext, "registryImage">): string {
  if (!context.registryImage) return text;
  const value = context.registryImage;
  return text.replace(/\$\{CI_REGISTRY_IMAGE\}|\$CI_REGISTRY_IMAGE(?![A-Za-z0-9_])/g, () => value);
}
