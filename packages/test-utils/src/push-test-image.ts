import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Fixed timestamps so the same inputs always give the same digests. */
const EPOCH = "2000-01-01T00:00:00Z";
const EPOCH_DATE = new Date(EPOCH);
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const REF_NAME = "org.opencontainers.image.ref.name";

export interface PushTestImageOptions {
  /** Registry host and port (`127.0.0.1:PORT`), e.g. `OciRegistry.host`. */
  registry: string;
  /** Repository path, e.g. `spacktainers/runtime`. */
  repository: string;
  tag: string;
  /** `architecture` in the image config (default `amd64`). */
  arch?: string;
  /** Config labels (`config.Labels`), e.g. the checksum labels the builder reads back. */
  labels?: Readonly<Record<string, string>>;
  /** Files of the single layer: absolute path in the image → content (default one small file). */
  files?: Readonly<Record<string, string>>;
  /** Manifest type stored in the registry: OCI image manifest (default) or Docker schema 2. */
  format?: "oci" | "docker";
  /** Basic-auth credentials for a registry started with `auth: "htpasswd"` (`OciRegistry.credentials`). */
  credentials?: { username: string; password: string };
}

/** An image now in the registry. */
export type PushedImage = {
  /** `host/repository:tag`. */
  reference: string;
  /** Digest of the manifest (or index) the tag points to. */
  digest: string;
};

export interface PushMultiArchImageOptions extends Omit<PushTestImageOptions, "arch" | "labels" | "format"> {
  /** One image per architecture (default `["amd64", "arm64"]`). */
  arches?: readonly string[];
  /** Labels of every per-arch image; a function gets the arch. */
  labels?: Readonly<Record<string, string>> | ((arch: string) => Readonly<Record<string, string>>);
}

/** A multi-arch image: an OCI index whose entries carry a `linux/<arch>` platform. */
export type PushedMultiArchImage = PushedImage & {
  /** The per-arch manifests in the index, in the order of `arches`. */
  manifests: { arch: string; digest: string }[];
};

/**
 * Builds a tiny image with `umoci` (no root, no daemon: `init`, `new`, `config`, `insert
 * --rootless`) in an OCI layout and pushes it with `skopeo copy --dest-tls-verify=false`.
 * Deterministic: the same options give the same digest.
 */
export async function pushTestImage(options: PushTestImageOptions): Promise<PushedImage> {
  return withWorkDir(async (work) => {
    const layout = join(work, "layout");
    await run("umoci", ["init", "--layout", layout]);
    await buildImage(work, layout, "image", options.arch ?? "amd64", options.labels ?? {}, options.files);
    const reference = `${options.registry}/${options.repository}:${options.tag}`;
    const format = options.format === "docker" ? ["--format", "v2s2"] : [];
    const digest = await skopeoCopy(work, options.credentials, [
      ...format,
      `oci:${layout}:image`,
      `docker://${reference}`,
    ]);
    return { reference, digest };
  });
}

/**
 * Builds one image per arch with `umoci`, adds an OCI image index over them to the layout and
 * pushes all of it with `skopeo copy --all`.
 */
export async function pushMultiArchImage(options: PushMultiArchImageOptions): Promise<PushedMultiArchImage> {
  const arches = options.arches ?? ["amd64", "arm64"];
  return withWorkDir(async (work) => {
    const layout = join(work, "layout");
    await run("umoci", ["init", "--layout", layout]);
    const entries = [];
    for (const arch of arches) {
      const labels = typeof options.labels === "function" ? options.labels(arch) : (options.labels ?? {});
      await buildImage(work, layout, arch, arch, labels, options.files);
    }
    const indexJsonPath = join(layout, "index.json");
    const layoutIndex = JSON.parse(await readFile(indexJsonPath, "utf8")) as {
      manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
    };
    for (const arch of arches) {
      const entry = layoutIndex.manifests.find((manifest) => manifest.annotations?.[REF_NAME] === arch);
      if (!entry) throw new Error(`umoci left no manifest tagged ${arch} in ${indexJsonPath}`);
      entries.push({
        mediaType: entry.mediaType,
        digest: entry.digest,
        size: entry.size,
        platform: { architecture: arch, os: "linux" },
      });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
    const indexHex = createHash("sha256").update(index).digest("hex");
    await writeFile(join(layout, "blobs/sha256", indexHex), index);
    layoutIndex.manifests.push({
      mediaType: OCI_INDEX,
      digest: `sha256:${indexHex}`,
      size: index.length,
      annotations: { [REF_NAME]: "index" },
    });
    await writeFile(indexJsonPath, JSON.stringify(layoutIndex));
    const reference = `${options.registry}/${options.repository}:${options.tag}`;
    const digest = await skopeoCopy(work, options.credentials, [
      "--all",
      `oci:${layout}:index`,
      `docker://${reference}`,
    ]);
    return {
      reference,
      digest,
      manifests: entries.map((entry, position) => ({ arch: arches[position]!, digest: entry.digest })),
    };
  });
}

async function buildImage(
  work: string,
  layout: string,
  tag: string,
  arch: string,
  labels: Readonly<Record<string, string>>,
  files: Readonly<Record<string, string>> | undefined,
): Promise<void> {
  const image = `${layout}:${tag}`;
  await run("umoci", ["new", "--image", image]);
  const labelFlags = Object.entries(labels).flatMap(([key, value]) => ["--config.label", `${key}=${value}`]);
  await run("umoci", [
    "config",
    "--image",
    image,
    "--architecture",
    arch,
    "--os",
    "linux",
    "--created",
    EPOCH,
    "--history.created",
    EPOCH,
    ...labelFlags,
  ]);
  const rootfs = join(work, `rootfs-${tag}`);
  await writeRootfs(rootfs, files ?? { "/etc/spacktainers-test": `test image for ${arch}\n` });
  await run("umoci", ["insert", "--rootless", "--history.created", EPOCH, "--image", image, rootfs, "/"]);
}

/** Writes the layer's files with fixed mtimes (tar headers carry them, and so the digest). */
async function writeRootfs(rootfs: string, files: Readonly<Record<string, string>>): Promise<void> {
  const directories = new Set<string>([rootfs]);
  for (const [path, content] of Object.entries(files)) {
    if (!path.startsWith("/")) throw new Error(`image file paths must be absolute, got ${path}`);
    const full = join(rootfs, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
    await utimes(full, EPOCH_DATE, EPOCH_DATE);
    for (let directory = dirname(full); directory.startsWith(rootfs); directory = dirname(directory)) {
      directories.add(directory);
    }
  }
  // Deepest first, after all writes, since writing into a directory updates its mtime.
  for (const directory of [...directories].sort((a, b) => b.length - a.length)) {
    await utimes(directory, EPOCH_DATE, EPOCH_DATE);
  }
}

async function skopeoCopy(
  work: string,
  credentials: { username: string; password: string } | undefined,
  args: readonly string[],
): Promise<string> {
  // Own policy file: do not depend on (or be refused by) the machine's /etc/containers/policy.json.
  const policy = join(work, "policy.json");
  await writeFile(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  const digestFile = join(work, "digest");
  await run("skopeo", [
    "--policy",
    policy,
    "copy",
    "--quiet",
    "--dest-tls-verify=false",
    "--digestfile",
    digestFile,
    ...(credentials ? ["--dest-creds", `${credentials.username}:${credentials.password}`] : []),
    ...args,
  ]);
  return (await readFile(digestFile, "utf8")).trim();
}

async function withWorkDir<T>(body: (work: string) => Promise<T>): Promise<T> {
  const work = await mkdtemp(join(tmpdir(), "spacktainers-image-"));
  try {
    return await body(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
