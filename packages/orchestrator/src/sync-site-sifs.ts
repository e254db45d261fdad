import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import {
  type CacheStorage,
  createLocalStorage,
  createS3Storage,
  pruneSifs,
  type SifPruneResult,
} from "@spacktainers/cache-janitor";
import {
  type CiContext,
  type ContainersBucketConfig,
  KNOWN_ARCHITECTURES,
  naturalCompare,
  readSifName,
  type SiteConfig,
  type SiteSifRecord,
  siteSifRecordFileName,
  UsageError,
} from "@spacktainers/core";
import { downloadSif, headObjectMetadata } from "@spacktainers/image-builder";
import { containersBucketClient, liveRefSlugs, normalizePrefix, type S3Client } from "./remove-stale-sifs.js";

/** A bucket and prefix whose SIFs the site mirrors: the branch bucket and, when set, the prod bucket. */
export type SiteSifSource = {
  bucket: string;
  /** Key prefix with a trailing `/`, or `""`. */
  prefix: string;
  /** The config of the first arch (natural order) using this bucket and prefix. */
  config: ContainersBucketConfig;
};

/** One SIF of the bucket and what the site sync did (or would do) with it. */
export type SiteSifAction = {
  /** File name in the site directory. */
  file: string;
  bucket: string;
  key: string;
  action: "restore" | "keep";
  /** Why: missing at the site, outdated (which metadata differs), or up to date. */
  reason: string;
};

/** What a site sync found and did. */
export type SyncSiteSifsResult = {
  applied: boolean;
  /** The site directory. */
  directory: string;
  /** Every SIF of a live ref in the buckets, with the action taken. */
  sifs: SiteSifAction[];
  /** Files copied (with `applied`). */
  restored: string[];
  /** The removal of SIFs of deleted branches from the site directory (the janitor's SIF rules). */
  cleanup: SifPruneResult;
};

export interface SyncSiteSifsOptions {
  config: SiteConfig;
  /** CI context; the default branch's slug always counts as live. */
  context: CiContext;
  /** GitLab client scoped to the project; lists branches and tags. */
  gitlab: Pick<GitlabClient, "listAll">;
  /** Site directory; default `sif_deploy.directory`. */
  directory?: string;
  /** S3 client of a bucket (destroyed when done). Default: from its credential variables in `env`. */
  s3?: (bucket: ContainersBucketConfig) => S3Client;
  /** Environment holding the credentials named in the config. */
  env?: Record<string, string | undefined>;
  /** Copy and delete (true) or only plan (false, default). */
  apply?: boolean;
  /** Delete even when more than `maxDeleteFraction` of the site's SIFs would go. */
  force?: boolean;
  /** Largest share of the site's SIFs one run may delete without `force` (default 0.5). */
  maxDeleteFraction?: number;
  /** The instant of the run. */
  now: Date;
}

/** Every containers bucket and prefix of the config, branch and prod, deduplicated. */
export function siteSifSources(config: SiteConfig): SiteSifSource[] {
  const sources = new Map<string, SiteSifSource>();
  for (const arch of Object.keys(config.architectures).sort(naturalCompare)) {
    const bucketConfig = config.architectures[arch]!.containers_bucket;
    const prefix = normalizePrefix(bucketConfig.prefix);
    for (const bucket of [bucketConfig.name, bucketConfig.prod_name]) {
      if (!bucket) continue;
      const id = JSON.stringify([bucketConfig.endpoint ?? "", bucket, prefix]);
      if (!sources.has(id)) sources.set(id, { bucket, prefix, config: bucketConfig });
    }
  }
  return [...sources.values()];
}

async function readRecord(path: string): Promise<SiteSifRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as SiteSifRecord;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Why the site copy differs from the object, or undefined when it is the same SIF. */
function difference(record: SiteSifRecord | undefined, expected: SiteSifRecord, size?: number) {
  if (size === undefined) return "missing at the site";
  if (!record) return "no record of which object the site copy is";
  if (record.bucket !== expected.bucket || record.key !== expected.key)
    return `the site copy is of s3://${record.bucket}/${record.key}`;
  const names = [...new Set([...Object.keys(record.metadata), ...Object.keys(expected.metadata)])].sort();
  const changed = names.filter((name) => record.metadata[name] !== expected.metadata[name]);
  if (changed.length > 0)
    return `outdated: ${changed.map((name) => `${name} ${record.metadata[name] ?? "(none)"} → ${expected.metadata[name] ?? "(none)"}`).join(", ")}`;
  if (size !== expected.size) return `outdated: size ${size} → ${expected.size}`;
  return undefined;
}

/**
 * Keeps the site copy of the SIFs (`sif_deploy.directory`) in step with the containers buckets,
 * in every pipeline: each SIF of a live branch, tag or the default branch that is missing at the
 * site, or whose recorded object metadata (`container-checksum`, `spack-lock-sha256`, `digest`)
 * differs from the bucket's, is copied again (temp file + rename); then the site's SIFs of
 * deleted branches are removed with the janitor's SIF rules (empty branch list refused, recent
 * and ambiguous names kept, at most `maxDeleteFraction` without `force`). Plans unless `apply`.
 */
export async function syncSiteSifs(options: SyncSiteSifsOptions): Promise<SyncSiteSifsResult> {
  const { config, apply = false } = options;
  const directory = options.directory ?? config.sif_deploy?.directory;
  if (!directory)
    throw new UsageError("no site directory: configure sif_deploy.directory or pass --directory.");
  const live = await liveRefSlugs(options.gitlab, options.context);
  const architectures = [...new Set([...Object.keys(config.architectures), ...KNOWN_ARCHITECTURES])];
  const sifs: SiteSifAction[] = [];
  const restored: string[] = [];
  for (const source of siteSifSources(config)) {
    const client = containersBucketClient(options, source.config, source.bucket);
    try {
      const storage: CacheStorage = createS3Storage({ bucket: source.bucket, prefix: source.prefix, client });
      for (const object of await storage.list()) {
        if (!object.key.endsWith(".sif") || object.key.includes("/")) continue;
        const reading = readSifName({ fileName: object.key, architectures });
        // Ambiguous names are kept in the bucket, so the site keeps a copy too.
        const isLive =
          reading.kind === "prod" ||
          reading.kind === "ambiguous" ||
          (reading.kind === "branch" && reading.slugs.some((slug) => live.has(slug)));
        if (!isLive) continue;
        const key = `${source.prefix}${object.key}`;
        const metadata = (await headObjectMetadata(client, source.bucket, key)) ?? {};
        const expected: SiteSifRecord = { bucket: source.bucket, key, size: object.size, metadata };
        const target = join(directory, object.key);
        const recordPath = join(directory, siteSifRecordFileName(object.key));
        const why = difference(await readRecord(recordPath), expected, await fileSize(target));
        sifs.push({
          file: object.key,
          bucket: source.bucket,
          key,
          action: why ? "restore" : "keep",
          reason: why ?? "up to date",
        });
        if (!why || !apply) continue;
        await downloadSif({ s3: client, bucket: source.bucket, key, file: target, record: true });
        restored.push(object.key);
      }
    } finally {
      client.destroy();
    }
  }
  const cleanup = await pruneSifs({
    targets: [
      { bucket: directory, prefix: "", location: `${directory}/`, open: () => createLocalStorage(directory) },
    ],
    liveSlugs: live,
    architectures,
    keepCustom: false,
    apply,
    ...(options.force !== undefined ? { force: options.force } : {}),
    ...(options.maxDeleteFraction !== undefined ? { maxDeleteFraction: options.maxDeleteFraction } : {}),
    now: options.now,
  });
  for (const sif of cleanup.deleted)
    await rm(join(directory, siteSifRecordFileName(sif.key)), { force: true });
  return { applied: apply, directory, sifs, restored, cleanup };
}

/** The human summary of a site sync. */
export function formatSiteSync(result: SyncSiteSifsResult): string[] {
  const restore = result.sifs.filter((sif) => sif.action === "restore");
  const verb = result.applied ? "restored" : "would restore";
  const lines = [
    `${result.sifs.length} SIFs of live branches in the buckets; ${verb} ${restore.length} in ${result.directory}, ${result.sifs.length - restore.length} up to date.`,
  ];
  for (const sif of restore)
    lines.push(`  ${verb}: ${sif.file} from s3://${sif.bucket}/${sif.key} (${sif.reason})`);
  return lines;
}
