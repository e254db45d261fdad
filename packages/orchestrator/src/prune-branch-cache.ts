import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import { createS3Storage, type PrunePlan, type PruneResult } from "@spacktainers/cache-janitor";
import { type CiContext, type SiteConfig, SpacktainersError } from "@spacktainers/core";
import { cacheBucketClient, findLocks, pruneArchCache } from "./prune-arch-cache.js";
import { liveRefSlugs } from "./remove-stale-sifs.js";

/**
 * Where each branch pipeline records its locks in the branch cache bucket:
 * `<prefix><branch slug>/<container>/spack.lock`. The janitor never deletes a key it does not
 * recognise as part of a build cache, so the records survive its runs.
 */
export const BRANCH_LOCKS_PREFIX = "spacktainers/branch-locks/";

/** Age limit of specs no live branch uses, when the bucket sets no `max_age_days`. */
export const DEFAULT_BRANCH_CACHE_MAX_AGE_DAYS = 30;

export interface PruneBranchCacheOptions {
  /** Repository root. */
  root: string;
  arch: string;
  config: SiteConfig;
  /** CI context of a branch pipeline (not the default branch). */
  context: CiContext;
  /** GitLab client scoped to the project: lists the branches and tags that exist. */
  gitlab: Pick<GitlabClient, "listAll">;
  /** Environment holding the credential variables the site config names. */
  env: Record<string, string | undefined>;
  /** Folder with `<container>/spack.lock` of this pipeline (the plan job's output). */
  locks: string;
  /** Record, delete records and prune; without it only the plan is made. */
  apply: boolean;
  /** Allow deleting more than half of the cache. */
  force?: boolean;
}

/** What a branch-cache prune did, besides the janitor's plan and result. */
export type PruneBranchCacheResult = {
  plan: PrunePlan;
  result?: PruneResult;
  keepLocks: string[];
  packageLists: string[];
  /** Branch slugs whose recorded locks protect specs (live ones, this branch included). */
  protectingBranches: string[];
  /** Branch slugs whose records were deleted (or would be, in a plan): their branch is gone. */
  goneBranches: string[];
};

/**
 * The prune policy of a branch build cache (an arch's `cache_bucket.name` when `prod_name` is
 * set, shared by every branch): this pipeline records its locks in the bucket; the recorded
 * locks of branches that are gone (GitLab's repository/branches and tags; an empty branch list
 * is refused) are deleted; then the janitor prunes the bucket with every live branch's recorded
 * locks protected, specs nobody uses older than `max_age_days` (default 30) deleted, and its
 * safety rules (lock, delete fraction, listing checks) as in the default branch's prune. A plan
 * unless `apply` (nothing recorded or deleted).
 */
export async function pruneBranchCache(options: PruneBranchCacheOptions): Promise<PruneBranchCacheResult> {
  const { config, arch, context } = options;
  const bucket = config.architectures[arch]!.cache_bucket;
  if (context.isProd || !bucket.prod_name)
    throw new SpacktainersError({
      code: "NOT_A_BRANCH_CACHE",
      exitCode: 2,
      message: `prune-branch-cache runs in branch pipelines of an arch whose cache_bucket has a prod_name (architectures.${arch}.cache_bucket); ${context.isProd ? "this is the default branch: use prune" : "without prod_name, branches share the default branch's cache and its prune"}`,
    });
  const live = await liveRefSlugs(options.gitlab, context);
  const client = cacheBucketClient(config, arch, options.env);
  const records = createS3Storage({ bucket: bucket.name, prefix: BRANCH_LOCKS_PREFIX, client });
  const temp = await mkdtemp(join(tmpdir(), "spacktainers-branch-locks-"));
  try {
    const own = await findLocks(resolve(options.root, options.locks));
    const recorded = (await records.list()).filter((object) => object.key.endsWith("/spack.lock"));
    const slugOf = (key: string) => key.split("/")[0]!;
    const gone = [...new Set(recorded.map((object) => slugOf(object.key)))].filter((slug) => !live.has(slug));
    const extraKeepLocks: string[] = [];
    for (const object of recorded) {
      const slug = slugOf(object.key);
      // This branch's own record is replaced by this pipeline's locks.
      if (!live.has(slug) || slug === context.refSlug) continue;
      const bytes = await records.get(object.key);
      if (!bytes) continue;
      const path = join(temp, object.key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
      extraKeepLocks.push(path);
    }
    if (options.apply) {
      const stale = recorded
        .filter((object) => !live.has(slugOf(object.key)) || slugOf(object.key) === context.refSlug)
        .map((object) => object.key);
      // A record that fails to go is harmless: only live branches' records protect anything.
      if (stale.length > 0) await records.deleteBatch(stale);
      for (const lock of own)
        await records.put(`${context.refSlug}/${basename(dirname(lock))}/spack.lock`, await readFile(lock));
    }
    const pruned = await pruneArchCache({
      ...options,
      extraKeepLocks,
      maxAgeDays: bucket.max_age_days ?? DEFAULT_BRANCH_CACHE_MAX_AGE_DAYS,
    });
    const protecting = new Set([
      context.refSlug,
      ...extraKeepLocks.map((path) => slugOf(path.slice(temp.length + 1))),
    ]);
    return { ...pruned, protectingBranches: [...protecting].sort(), goneBranches: gone.sort() };
  } finally {
    client.destroy();
    await rm(temp, { recursive: true, force: true });
  }
}
