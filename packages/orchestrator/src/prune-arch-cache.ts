import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  applyPrune,
  createS3Storage,
  type PrunePlan,
  type PruneResult,
  planPrune,
} from "@spacktainers/cache-janitor";
import {
  bucketName,
  type CiContext,
  OUT_PATHS,
  type SiteConfig,
  SpacktainersError,
} from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";

export interface PruneArchCacheOptions {
  /** Repository root. */
  root: string;
  arch: string;
  config: SiteConfig;
  context: CiContext;
  /** Environment holding the credential variables the site config names. */
  env: Record<string, string | undefined>;
  /** Folder with `<container>/spack.lock` of every container of this arch (the plan job's output). */
  locks: string;
  /** Delete; without it only the plan is made. */
  apply: boolean;
  /** Allow deleting more than half of the cache. */
  force?: boolean;
  /** More locks whose specs are protected (the recorded locks of live branches). */
  extraKeepLocks?: readonly string[];
  /** Age limit instead of the bucket's `max_age_days`. */
  maxAgeDays?: number;
}

/** An S3 client of an arch's build cache from the credential variables the config names (exit 2 without). */
export function cacheBucketClient(
  config: SiteConfig,
  arch: string,
  env: Record<string, string | undefined>,
): NonNullable<ReturnType<typeof createS3Client>> {
  const bucket = config.architectures[arch]!.cache_bucket;
  const { access_key_var, secret_key_var } = bucket.credentials;
  const client = createS3Client({
    env,
    credentials: { accessKeyVar: access_key_var, secretKeyVar: secret_key_var },
    ...(bucket.endpoint ? { endpoint: bucket.endpoint } : {}),
  });
  if (!client)
    throw new SpacktainersError({
      code: "CREDENTIALS_MISSING",
      exitCode: 2,
      message: `the CI variables ${access_key_var} and ${secret_key_var} (architectures.${arch}.cache_bucket.credentials) must be set to prune the build cache`,
    });
  return client;
}

/**
 * Every non-empty `<dir>/<container>/packages.txt` under `locks` (`spack list` of the builder, by
 * the concretize job). An empty one means `spack list` printed nothing: no rule rather than a
 * rule that would call every package removed.
 */
async function findPackageLists(locks: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await readdir(locks, { withFileTypes: true })).filter((e) => e.isDirectory())) {
    const path = join(locks, entry.name, OUT_PATHS.packageList);
    if ((await stat(path).catch(() => undefined))?.size) found.push(path);
  }
  return found.sort();
}

/** Every `<dir>/<container>/spack.lock` under `locks`, sorted. */
export async function findLocks(locks: string): Promise<string[]> {
  const entries = await readdir(locks, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new SpacktainersError({
      code: "LOCKS_MISSING",
      exitCode: 2,
      message: `cannot read ${locks} (${error.code}): the prune job needs the locks the plan job wrote`,
      cause: error,
    });
  });
  const found: string[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()) {
    const path = join(locks, entry, "spack.lock");
    if ((await readdir(join(locks, entry))).includes("spack.lock")) found.push(path);
  }
  return found;
}

/**
 * `spacktainers prune`: the cache janitor on one arch's build cache, run after that arch's
 * population and image builds. Every spec of this pipeline's locks is protected (with its
 * dependencies); the age limit is the bucket's `max_age_days`; specs of packages that are in
 * none of the builder's package repositories (Spack's and `spack.repos`, as `spack list` in the
 * concretize jobs saw them) are deleted; credentials come from the variables the site config
 * names. A dry-run plan unless `apply`.
 */
export async function pruneArchCache(
  options: PruneArchCacheOptions,
): Promise<{ plan: PrunePlan; result?: PruneResult; keepLocks: string[]; packageLists: string[] }> {
  const bucket = options.config.architectures[options.arch]!.cache_bucket;
  const client = cacheBucketClient(options.config, options.arch, options.env);
  const keepLocks = [
    ...(await findLocks(resolve(options.root, options.locks))),
    ...(options.extraKeepLocks ?? []),
  ];
  if (keepLocks.length === 0) {
    // Pruning without any lock would protect nothing this pipeline just built.
    throw new SpacktainersError({
      code: "LOCKS_MISSING",
      exitCode: 2,
      message: `no <container>/spack.lock under ${options.locks}: refusing to prune without the specs this pipeline uses`,
    });
  }
  const storage = createS3Storage({
    bucket: bucketName(bucket, options.context.isProd),
    client,
    ...(bucket.endpoint ? { endpoint: bucket.endpoint } : {}),
  });
  const packageLists = await findPackageLists(resolve(options.root, options.locks));
  const rules = {
    cache: storage,
    now: options.context.now,
    keepLocks,
    ...(packageLists.length > 0 ? { packagesFrom: packageLists } : {}),
    ...((options.maxAgeDays ?? bucket.max_age_days)
      ? { maxAgeDays: options.maxAgeDays ?? bucket.max_age_days }
      : {}),
    env: options.env,
  };
  try {
    if (!options.apply) return { plan: await planPrune(rules), keepLocks, packageLists };
    // The prune job's timeout is 30 minutes and GitLab runs one per arch at a time (its
    // resource_group): a lock older than an hour is a killed job's, and is taken over.
    const result = await applyPrune({
      ...rules,
      force: options.force ?? false,
      lockTtlMinutes: 60,
      breakLock: true,
    });
    return { plan: result.plan, result, keepLocks, packageLists };
  } finally {
    client.destroy();
  }
}
