import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import {
  type CacheStorage,
  createS3Storage,
  pruneSifs,
  type S3StorageOptions,
  type SifPruneResult,
} from "@spacktainers/cache-janitor";
import {
  bucketName,
  type CiContext,
  type ContainersBucketConfig,
  checkNumberRange,
  DELETE_FRACTION_RANGE,
  KNOWN_ARCHITECTURES,
  naturalCompare,
  type SiteConfig,
  SpacktainersError,
  slugifyRef,
  UsageError,
} from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";

/** The AWS SDK v3 client type, taken from the janitor so orchestrator needs no SDK dependency. */
export type S3Client = NonNullable<S3StorageOptions["client"]>;

/** What a run found and did: the janitor's SIF result (`pruneSifs`). */
export type RemoveStaleSifsResult = SifPruneResult;

/** A containers bucket to scan. */
export type SifBucketTarget = {
  bucket: string;
  /** Key prefix with a trailing `/`, or `""`. */
  prefix: string;
  /** The config of the first arch (natural order) using this bucket and prefix. */
  config: ContainersBucketConfig;
  architectures: string[];
};

export interface RemoveStaleSifsOptions {
  config: SiteConfig;
  /** CI context; the default branch's slug always counts as live. */
  context: CiContext;
  /** GitLab client scoped to the project (`createGitlabClient`); lists branches and tags. */
  gitlab: Pick<GitlabClient, "listAll">;
  /**
   * An S3 client per bucket; each client returned is destroyed when done. Default: a client
   * from the bucket's credential variables in `env` and its `endpoint`.
   */
  s3?: (bucket: ContainersBucketConfig) => S3Client;
  /** Lower-level hook replacing `s3`: the storage of one bucket, keys relative to the prefix. */
  openStorage?: (target: SifBucketTarget) => CacheStorage;
  /** Environment holding the credentials named in the config (default `s3` only). */
  env?: Record<string, string | undefined>;
  /** Delete (true) or only plan (false, default). */
  apply?: boolean;
  /** Delete even when more than `maxDeleteFraction` of the SIFs would go. */
  force?: boolean;
  /** Largest fraction of the listed SIFs one run may delete without `force` (default 0.5). */
  maxDeleteFraction?: number;
  /** SIFs modified less than this many hours before `now` are kept (default 1). */
  minAgeHours?: number;
  /** See `readSifName` of `@spacktainers/core`. Default false. */
  assumeTagsWithoutSeparator?: boolean;
  /** The instant of the run (age checks). */
  now: Date;
}

type GitlabRef = { name: string };

/** A key prefix with one trailing `/` and none leading, or `""`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/** Containers buckets of every arch, deduplicated by endpoint, bucket and prefix. */
export function sifBucketTargets(config: SiteConfig): SifBucketTarget[] {
  const targets = new Map<string, SifBucketTarget>();
  for (const arch of Object.keys(config.architectures).sort(naturalCompare)) {
    const bucketConfig = config.architectures[arch]!.containers_bucket;
    // Branch SIFs go to the bucket used on branches; prod SIFs to `prod_name` when set. A
    // separate prod bucket holds no branch SIF, so only the branch bucket is scanned.
    const bucket = bucketName(bucketConfig, false);
    const prefix = normalizePrefix(bucketConfig.prefix);
    const id = JSON.stringify([bucketConfig.endpoint ?? "", bucket, prefix]);
    const target = targets.get(id);
    if (target) target.architectures.push(arch);
    else targets.set(id, { bucket, prefix, config: bucketConfig, architectures: [arch] });
  }
  return [...targets.values()];
}

/**
 * An S3 client of a containers bucket: `s3(config)` when given, else one from the credential
 * variables the config names, read from `env`. The caller destroys it.
 */
export function containersBucketClient(
  options: { s3?: (bucket: ContainersBucketConfig) => S3Client; env?: Record<string, string | undefined> },
  config: ContainersBucketConfig,
  bucket: string,
): S3Client {
  if (options.s3) return options.s3(config);
  const { access_key_var, secret_key_var } = config.credentials;
  const client = createS3Client({
    env: options.env ?? {},
    credentials: { accessKeyVar: access_key_var, secretKeyVar: secret_key_var },
    endpoint: config.endpoint,
  });
  if (!client)
    throw new UsageError(
      `no credentials for bucket ${bucket}: set the CI variables ${access_key_var} and ${secret_key_var}.`,
    );
  return client;
}

function openS3Storage(options: RemoveStaleSifsOptions, target: SifBucketTarget): CacheStorage {
  const client = containersBucketClient(options, target.config, target.bucket);
  const storage = createS3Storage({ bucket: target.bucket, prefix: target.prefix, client });
  return { ...storage, close: () => client.destroy() };
}

/**
 * Slugs of the project's branches and tags, and of the default branch. Refuses an empty branch
 * list: a token problem would otherwise make every branch SIF look stale.
 */
export async function liveRefSlugs(
  gitlab: Pick<GitlabClient, "listAll">,
  context: Pick<CiContext, "defaultBranch">,
): Promise<Set<string>> {
  const branches = await gitlab.listAll<GitlabRef>("/repository/branches");
  if (branches.length === 0)
    throw new SpacktainersError({
      code: "BRANCH_LIST_EMPTY",
      message:
        "GitLab listed no branches for this project; refusing to remove SIFs, as every branch SIF would look stale. Check the token's access (read_api) and the project id.",
    });
  // Pipelines of git tags are not prod: their SIFs carry the tag's slug.
  const tags = await gitlab.listAll<GitlabRef>("/repository/tags");
  const live = new Set([...branches, ...tags].map((ref) => slugifyRef(ref.name)));
  live.add(slugifyRef(context.defaultBranch));
  return live;
}

/**
 * Plans (default) or applies the removal of the SIFs of branches that no longer exist, in every
 * arch's containers bucket. Keeps prod SIFs, SIFs of existing branches and tags, recent SIFs and
 * every name it cannot read unambiguously. Refuses to run on an empty branch list (a token
 * problem would otherwise make every branch SIF stale) and, when applying, to delete more than
 * `maxDeleteFraction` of the SIFs without `force`. Per-key delete errors are returned, not thrown.
 */
export async function removeStaleSifs(options: RemoveStaleSifsOptions): Promise<RemoveStaleSifsResult> {
  const {
    config,
    context,
    gitlab,
    apply = false,
    force = false,
    maxDeleteFraction = 0.5,
    minAgeHours = 1,
    now,
  } = options;
  const fractionProblem = checkNumberRange(maxDeleteFraction, DELETE_FRACTION_RANGE);
  if (fractionProblem) throw new UsageError(`maxDeleteFraction ${fractionProblem}`);
  const live = await liveRefSlugs(gitlab, context);
  return pruneSifs({
    targets: sifBucketTargets(config).map((target) => ({
      bucket: target.bucket,
      prefix: target.prefix,
      ...(target.config.endpoint ? { endpoint: target.config.endpoint } : {}),
      architectures: target.architectures,
      open: () => (options.openStorage ? options.openStorage(target) : openS3Storage(options, target)),
    })),
    liveSlugs: live,
    architectures: [...new Set([...Object.keys(config.architectures), ...KNOWN_ARCHITECTURES])],
    // The site config says which arches exist, so a custom SIF of a gone branch is told apart
    // from a prod one (`<name>__<tag>__<slug>__<arch>.sif`, unambiguous names only).
    keepCustom: false,
    assumeTagsWithoutSeparator: options.assumeTagsWithoutSeparator,
    apply,
    force,
    maxDeleteFraction,
    minAgeHours,
    now,
  });
}
