import { InputInvalidError } from "../errors/input-invalid-error.js";
import type { CiContext } from "../model/ci-context.js";
import type { ContainerDefinition } from "../model/container-definition.js";
import { bucketName, type SiteConfig } from "../model/site-config.js";
import type { SpackLock } from "../spack/parse-spack-lock.js";
import { LABELS, SIF_METADATA, singularityVersion } from "./labels.js";
import {
  customContainerTag,
  expandRegistryImage,
  imageRepository,
  sifFileName,
  sifObjectKey,
  spackContainerTag,
} from "./names.js";

/** The OCI standard annotation keys we set (https://github.com/opencontainers/image-spec). */
const OCI = "org.opencontainers.image.";

/** Digests of the base images a container was built from. */
export type BaseImageDigests = {
  /** `sha256:…` digest of the builder image (Spack + compilers) used for the build stage. */
  builder?: string;
  /** `sha256:…` digest of the runtime image the container is based on. */
  runtime?: string;
};

/**
 * Everything that identifies one built container: the one place later packages —
 * the image builder, the orchestrator, the janitor — read a container's version, tag, file names
 * and labels from, so they can never disagree. Deterministic: same inputs, same value.
 */
export type ContainerIdentity = {
  /** Container name (file stem or folder name). */
  name: string;
  /** Architecture it is built for. */
  arch: string;
  /** `spack`: built from a Spack environment; `custom`: wraps a registry image via a `.def`. */
  kind: "spack" | "custom";
  /**
   * The version the tag is made of: the concrete version of the main package's root in
   * `spack.lock` (spack), or the source image's tag (custom).
   */
  version: string;
  /** Spack containers: name of the main package (first spec); its root gave `version`. */
  mainPackage?: string;
  /** Spack containers: DAG hash of the main package's root in the lock. */
  mainPackageHash?: string;
  /**
   * Image tag: `<version>` on the default branch, `<version>__<ref-slug>` elsewhere, `-<arch>`
   * appended for any arch but amd64 (spack); `<sourceTag>[__<slug>]__<arch>` (custom).
   */
  tag: string;
  /** Registry repository, without tag: `<registry.image_prefix>/<name>`. */
  repository: string;
  /** Full image reference `<repository>:<tag>`. */
  image: string;
  /** SIF file name, `<name>__<tag>.sif`. */
  sifFileName: string;
  /** Bucket the SIF is uploaded to (prod name on the default branch). */
  sifBucket: string;
  /** S3 key of the SIF, under the containers bucket prefix. */
  sifObjectKey: string;
  /** `s3://<bucket>/<key>` of the SIF. */
  sifUrl: string;
  /** S3 object metadata of the SIF (`container-checksum`, `spack-lock-sha256`; custom: `digest`). */
  sifMetadata: Record<string, string>;
  /** Container checksum: definition, epilogue and every copied file. */
  containerChecksum: string;
  /** sha256 of `spack.lock` (spack containers only). */
  lockSha256?: string;
  /** Commit of the Spack that concretized the lock, when known. */
  spackCommit?: string;
  /**
   * Image labels, keys sorted: `<label_prefix>container_checksum`, `spack_lock_sha256`,
   * `spack_commit`, `singularity_version`, `builder_image_digest`,
   * `runtime_image_digest` (each when known), and `org.opencontainers.image.{created, revision,
   * source, title, version}`.
   */
  labels: Record<string, string>;
};

export interface DescribeContainerOptions {
  /** The container definition. */
  definition: ContainerDefinition;
  /** The concretized lock of this container and arch. Required for Spack containers; custom ones have none. */
  lock?: SpackLock;
  /** The CI context: branch, slug, prod or not, commit, project URL, `now`. */
  context: CiContext;
  /** The site configuration (registry prefix, label prefix, buckets, tool versions). */
  config: SiteConfig;
  /** Architecture; default `definition.arch`. */
  arch?: string;
  /** Digests of the base images used, recorded as labels so a base change is visible. */
  baseImages?: BaseImageDigests;
  /** Spack commit, when the lock does not record one (lockfile v4). */
  spackCommit?: string;
}

/**
 * The root of the lock whose package is the container's main package. Throws `LOCK_ROOT_MISSING`
 * (exit 2) naming the container and the roots found when none matches — the lock then belongs
 * to another environment.
 */
export function findMainPackageRoot({
  lock,
  name,
  mainPackage,
  path,
}: {
  lock: SpackLock;
  name: string;
  mainPackage: string;
  path?: string;
}): { hash: string; version: string } {
  const root = lock.roots.find((candidate) => candidate.name === mainPackage);
  if (root) return { hash: root.hash, version: lock.specs[root.hash]!.version };
  const found = lock.roots.map((candidate) => candidate.spec);
  throw new InputInvalidError({
    code: "LOCK_ROOT_MISSING",
    problems: [
      {
        code: "LOCK_ROOT_MISSING",
        message: `container "${name}"${path ? ` (${path})` : ""}: its main package "${mainPackage}" is not a root of this lock; roots found: ${found.length > 0 ? found.join(", ") : "none"}`,
        hint: "give the spack.lock concretized from this container's environment",
        file: lock.file,
      },
    ],
  });
}

/**
 * Describes a container: version, tag, image, SIF name and key, checksums and labels (see
 * {@link ContainerIdentity}). Spack containers need their `lock`; custom (`.def`) containers take
 * their version from the source image tag and need none.
 */
export async function describeContainer({
  definition,
  lock,
  context,
  config,
  arch = definition.arch,
  baseImages = {},
  spackCommit,
}: DescribeContainerOptions): Promise<ContainerIdentity> {
  const architecture = config.architectures[arch];
  if (!architecture) {
    throw new InputInvalidError({
      code: "ARCH_UNKNOWN",
      problems: [
        {
          code: "ARCH_UNKNOWN",
          message: `architecture "${arch}" is not configured (configured: ${Object.keys(config.architectures).join(", ") || "none"})`,
          file: definition.path,
        },
      ],
    });
  }
  let version: string;
  let tag: string;
  const spackFacts: Partial<ContainerIdentity> = {};
  if (definition.kind === "spack") {
    if (!lock) {
      throw new InputInvalidError({
        code: "LOCK_MISSING",
        problems: [
          {
            code: "LOCK_MISSING",
            message: `container "${definition.name}" is built from a Spack environment and needs its spack.lock to be described`,
            file: definition.path,
          },
        ],
      });
    }
    const root = findMainPackageRoot({
      lock,
      name: definition.name,
      mainPackage: definition.mainPackage,
      path: definition.path,
    });
    version = root.version;
    tag = spackContainerTag({ version, context, arch });
    spackFacts.mainPackage = definition.mainPackage;
    spackFacts.mainPackageHash = root.hash;
    spackFacts.lockSha256 = lock.sha256;
    const commit = lock.spack?.commit ?? spackCommit;
    if (commit) spackFacts.spackCommit = commit;
  } else {
    version = definition.source.tag;
    tag = customContainerTag({ sourceTag: version, context, arch });
  }

  const repository = imageRepository(
    expandRegistryImage(config.registry.image_prefix, context),
    definition.name,
  );
  const bucket = bucketName(architecture.containers_bucket, context.isProd);
  const key = sifObjectKey(architecture.containers_bucket.prefix, definition.name, tag);

  const prefix = config.registry.label_prefix;
  const labels: Record<string, string> = {};
  const label = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== "") labels[name] = value;
  };
  label(`${prefix}${LABELS.containerChecksum}`, definition.checksum);
  label(`${prefix}${LABELS.spackLockSha256}`, spackFacts.lockSha256);
  label(`${prefix}${LABELS.spackCommit}`, spackFacts.spackCommit);
  label(`${prefix}${LABELS.singularityVersion}`, singularityVersion(config.versions));
  label(`${prefix}${LABELS.builderDigest}`, baseImages.builder);
  label(`${prefix}${LABELS.runtimeDigest}`, baseImages.runtime);
  label(`${OCI}created`, context.now.toISOString());
  label(`${OCI}revision`, context.commitSha);
  label(`${OCI}source`, context.projectUrl);
  label(`${OCI}title`, definition.name);
  label(`${OCI}version`, version);

  const sifMetadata: Record<string, string> =
    definition.kind === "spack"
      ? {
          [SIF_METADATA.containerChecksum]: definition.checksum,
          [SIF_METADATA.spackLockSha256]: spackFacts.lockSha256!,
        }
      : {
          [SIF_METADATA.containerChecksum]: definition.checksum,
          ...(definition.source.digest ? { [SIF_METADATA.digest]: definition.source.digest } : {}),
        };

  return {
    name: definition.name,
    arch,
    kind: definition.kind,
    version,
    ...(spackFacts.mainPackage ? { mainPackage: spackFacts.mainPackage } : {}),
    ...(spackFacts.mainPackageHash ? { mainPackageHash: spackFacts.mainPackageHash } : {}),
    tag,
    repository,
    image: `${repository}:${tag}`,
    sifFileName: sifFileName(definition.name, tag),
    sifBucket: bucket,
    sifObjectKey: key,
    sifUrl: `s3://${bucket}/${key}`,
    sifMetadata,
    containerChecksum: definition.checksum,
    ...(spackFacts.lockSha256 ? { lockSha256: spackFacts.lockSha256 } : {}),
    ...(spackFacts.spackCommit ? { spackCommit: spackFacts.spackCommit } : {}),
    labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}
