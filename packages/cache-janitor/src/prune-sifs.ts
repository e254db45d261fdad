import {
  formatProblem,
  KNOWN_ARCHITECTURES,
  naturalCompare,
  readSifName,
  SpacktainersError,
  sifNameParts,
  type Warning,
} from "@spacktainers/core";
import { deleteKeys } from "./apply-prune.js";
import type { CacheStorage, DeleteFailure, StorageProgress } from "./storage/cache-storage.js";

/** Why a SIF (or another object under the prefix) is kept. */
export type KeptSifReason =
  /** A default-branch SIF: never deleted. */
  | "prod"
  /** A custom (`….def`) container's SIF, `…__<arch>.sif`, while custom SIFs are protected. */
  | "custom"
  /** Its branch (or tag) still exists. */
  | "live-ref"
  /** Readable both as prod and as a branch's SIF. */
  | "ambiguous"
  /** Modified less than `minAgeHours` ago: its branch may be newer than the branch list. */
  | "recent"
  /** Not a name spacktainers writes (or not a `.sif`). */
  | "unrecognised-name";

/** An object under a containers prefix that stays. */
export type KeptSif = {
  bucket: string;
  /** Full key, prefix included. */
  key: string;
  reason: KeptSifReason;
  /** The slug(s), the readings, or what is unrecognised. */
  detail: string;
};

/** A SIF of a branch that no longer exists. */
export type StaleSif = {
  bucket: string;
  /** Full key, prefix included. */
  key: string;
  /** The slug the name carries (the first candidate when several). */
  branchSlug: string;
  bytes: number;
};

/** A key DeleteObjects reported as not deleted (after retries). */
export type SifDeleteError = { bucket: string; key: string; code: string; message: string };

/** One containers bucket and prefix scanned. */
export type ScannedSifBucket = {
  bucket: string;
  prefix: string;
  /** Where the prefix is, for messages (`s3://bucket/prefix/`, `file:///…/`); no credentials. */
  location: string;
  endpoint?: string;
  /** The arches whose SIFs go to this bucket and prefix, when known. */
  architectures: string[];
  /** `.sif` objects listed directly under the prefix. */
  sifs: number;
};

export type SifPruneResult = {
  /** True when deletions were attempted (`apply`). */
  applied: boolean;
  /** Slugs of the branches and tags that exist (SIFs carrying them are kept). */
  liveSlugs: string[];
  buckets: ScannedSifBucket[];
  /** The SIFs of deleted branches: planned (dry run) or attempted (apply). */
  toDelete: StaleSif[];
  /** With `apply`: the SIFs actually deleted. Empty in a dry run. */
  deleted: StaleSif[];
  kept: KeptSif[];
  /** With `apply`: keys that could not be deleted (a CLI exits 3 when any). */
  errors: SifDeleteError[];
  safety: { sifs: number; deleteFraction: number; maxDeleteFraction: number; exceeded: boolean };
  warnings: Warning[];
};

/** One bucket and prefix holding SIFs. */
export type SifTarget = {
  /** Bucket name (or the folder, for a local target), as results report it. */
  bucket: string;
  /** Key prefix with a trailing `/`, or `""`. */
  prefix: string;
  /** Where the prefix is, for messages; default `s3://<bucket>/<prefix>`. */
  location?: string;
  endpoint?: string;
  /** The arches whose SIFs go here, for the report. */
  architectures?: string[];
  /** Opens the storage of the prefix (keys relative to it); closed when the run ends. */
  open: () => CacheStorage;
};

export interface PruneSifsOptions {
  targets: readonly SifTarget[];
  /** Slugs (`CI_COMMIT_REF_SLUG` form) of the branches and tags that exist. At least one. */
  liveSlugs: Iterable<string>;
  /** Architecture names a tag may end with (default {@link KNOWN_ARCHITECTURES}). */
  architectures?: readonly string[];
  /**
   * Never touch a custom container's SIF (a name ending in `__<arch>`), even of a gone branch.
   * Default true, so that only Spack containers' branch SIFs `<name>__<tag>__<slug>.sif` go.
   */
  keepCustom?: boolean;
  /** See {@link ReadSifNameOptions.assumeTagsWithoutSeparator}. Default false. */
  assumeTagsWithoutSeparator?: boolean;
  /** Delete (true) or only plan (false, default). */
  apply?: boolean;
  /** Delete even when more than `maxDeleteFraction` of the SIFs would go. */
  force?: boolean;
  /** Largest fraction of the listed SIFs one run may delete without `force` (default 0.5). */
  maxDeleteFraction?: number;
  /** SIFs modified less than this many hours before `now` are kept (default 1). */
  minAgeHours?: number;
  /** The instant of the run (age checks). */
  now: Date;
  onProgress?: (progress: StorageProgress) => void;
}

/**
 * Plans (default) or applies the removal of the SIFs of branches that no longer exist. Keeps
 * prod SIFs, custom SIFs (unless `keepCustom: false`), SIFs of live branches and tags, recent
 * SIFs and every name it cannot read unambiguously. Refuses an empty list of live branches and,
 * when applying, to delete more than `maxDeleteFraction` of the SIFs without `force`. Per-key
 * delete errors are returned, not thrown.
 */
export async function pruneSifs(options: PruneSifsOptions): Promise<SifPruneResult> {
  const { apply = false, force = false, maxDeleteFraction = 0.5 } = options;
  const live = new Set(options.liveSlugs);
  if (live.size === 0)
    throw new SpacktainersError({
      code: "LIVE_BRANCHES_EMPTY",
      message:
        "no live branch given; refusing to remove SIFs, as every branch SIF would look stale. Name the default branch at least.",
    });
  const work: ScannedTarget[] = [];
  const opened: CacheStorage[] = [];
  try {
    for (const target of options.targets) {
      const storage = target.open();
      opened.push(storage);
      work.push(await scanTarget(target, storage, live, options));
    }
    const buckets = work.map((scanned) => scanned.bucket);
    const toDelete = work.flatMap((scanned) => scanned.stale);
    const kept = work.flatMap((scanned) => scanned.kept);
    const { safety, warnings } = checkSifPlan({ buckets, toDelete, kept, maxDeleteFraction, apply, force });
    const result: SifPruneResult = {
      applied: apply,
      liveSlugs: [...live].sort(naturalCompare),
      buckets,
      toDelete,
      deleted: [],
      kept,
      errors: [],
      safety,
      warnings,
    };
    if (apply) for (const scanned of work) await deleteStale(scanned, result, options.onProgress);
    return result;
  } finally {
    for (const storage of opened) storage.close?.();
  }
}

/** One bucket's SIFs, sorted into kept (with a reason) and stale. */
type ScannedTarget = {
  target: SifTarget;
  storage: CacheStorage;
  bucket: ScannedSifBucket;
  kept: KeptSif[];
  stale: StaleSif[];
};

/** Lists one target and decides, SIF by SIF, whether its branch is gone. */
async function scanTarget(
  target: SifTarget,
  storage: CacheStorage,
  live: Set<string>,
  options: PruneSifsOptions,
): Promise<ScannedTarget> {
  const architectures = options.architectures ?? KNOWN_ARCHITECTURES;
  const keepCustom = options.keepCustom ?? true;
  const minLastModified = options.now.getTime() - (options.minAgeHours ?? 1) * 3_600_000;
  const kept: KeptSif[] = [];
  const stale: StaleSif[] = [];
  const bucket: ScannedSifBucket = {
    bucket: target.bucket,
    prefix: target.prefix,
    location: target.location ?? `s3://${target.bucket}/${target.prefix}`,
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
    architectures: target.architectures ?? [],
    sifs: 0,
  };
  const scanned: ScannedTarget = { target, storage, bucket, kept, stale };
  for (const object of await storage.list(options.onProgress)) {
    const key = `${target.prefix}${object.key}`;
    const keep = (reason: KeptSifReason, detail: string) =>
      kept.push({ bucket: target.bucket, key, reason, detail });
    const reading = readSifName({
      fileName: object.key,
      architectures,
      assumeTagsWithoutSeparator: options.assumeTagsWithoutSeparator,
    });
    if (object.key.endsWith(".sif") && !object.key.includes("/")) bucket.sifs++;
    if (reading.kind === "unrecognised") keep("unrecognised-name", reading.detail);
    else if (reading.kind === "prod") keep("prod", "no branch slug");
    else if (keepCustom && architectures.includes(sifNameParts(object.key).at(-1)!))
      keep("custom", "a custom container's SIF (…__<arch>.sif)");
    else if (reading.slugs.some((slug) => live.has(slug)))
      keep("live-ref", reading.slugs.filter((slug) => live.has(slug)).join(", "));
    else if (reading.kind === "ambiguous")
      keep("ambiguous", `${reading.detail}; slug ${reading.slugs.join(" or ")} matches no branch`);
    else if (object.lastModified > minLastModified)
      keep("recent", `modified ${new Date(object.lastModified).toISOString()}`);
    else stale.push({ bucket: target.bucket, key, branchSlug: reading.slugs[0]!, bytes: object.size });
  }
  return scanned;
}

/** The safety figures and warnings of a plan; throws when applying beyond the fraction without force. */
function checkSifPlan(input: {
  buckets: ScannedSifBucket[];
  toDelete: StaleSif[];
  kept: KeptSif[];
  maxDeleteFraction: number;
  apply: boolean;
  force: boolean;
}): Pick<SifPruneResult, "safety" | "warnings"> {
  const { buckets, toDelete, maxDeleteFraction } = input;
  const sifs = buckets.reduce((sum, bucket) => sum + bucket.sifs, 0);
  const deleteFraction = sifs === 0 ? 0 : toDelete.length / sifs;
  const exceeded = deleteFraction > maxDeleteFraction;
  const warnings: Warning[] = [];
  const locations = buckets.map((bucket) => bucket.location).join(", ");
  const ambiguous = input.kept.filter((entry) => entry.reason === "ambiguous").length;
  if (ambiguous > 0)
    warnings.push({
      file: locations,
      code: "SIF_NAME_AMBIGUOUS",
      message: `${ambiguous} SIF name(s) of no existing branch could also be prod SIF names and are kept.`,
      hint: "Docker tags may contain __; if your source tags never do, pass --assume-tags-without-separator.",
    });
  if (exceeded && !input.force) {
    const percent = (deleteFraction * 100).toFixed(1);
    if (input.apply)
      throw new SpacktainersError({
        code: "DELETE_FRACTION_EXCEEDED",
        message: `removing SIFs of deleted branches would delete ${toDelete.length} of ${sifs} SIFs (${percent}%), more than the allowed fraction ${maxDeleteFraction}. Nothing was deleted. Check the branch list, or force it.`,
      });
    warnings.push({
      file: locations,
      code: "DELETE_FRACTION_EXCEEDED",
      message: `the plan deletes ${percent}% of the SIFs, more than ${maxDeleteFraction}: applying it needs force.`,
    });
  }
  return { safety: { sifs, deleteFraction, maxDeleteFraction, exceeded }, warnings };
}

/** Deletes one target's stale SIFs; each into `result.deleted` or, with its error, `result.errors`. */
async function deleteStale(
  { target, storage, stale }: ScannedTarget,
  result: SifPruneResult,
  onProgress: PruneSifsOptions["onProgress"],
): Promise<void> {
  if (stale.length === 0) return;
  const { failed } = await deleteKeys({
    storage,
    keys: stale.map((sif) => sif.key.slice(target.prefix.length)),
    ...(onProgress ? { onProgress } : {}),
  });
  const failedKeys = new Map<string, DeleteFailure>(failed.map((failure) => [failure.key, failure]));
  for (const sif of stale) {
    const failure = failedKeys.get(sif.key.slice(target.prefix.length));
    if (failure)
      result.errors.push({ bucket: sif.bucket, key: sif.key, code: failure.code, message: failure.message });
    else result.deleted.push(sif);
  }
}

/** Where a SIF of a result is, for messages (its bucket's location and the key below the prefix). */
export function sifLocation(result: Pick<SifPruneResult, "buckets">, sif: { bucket: string; key: string }) {
  const scanned = result.buckets
    .filter((bucket) => bucket.bucket === sif.bucket && sif.key.startsWith(bucket.prefix))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  return scanned ? `${scanned.location}${sif.key.slice(scanned.prefix.length)}` : `${sif.bucket}/${sif.key}`;
}

/** The human summary of a SIF plan or run, one line per SIF deleted (or to delete). */
export function formatSifPrune(result: SifPruneResult): string[] {
  const verb = result.applied ? "deleted" : "would delete";
  const sifs = result.applied ? result.deleted : result.toDelete;
  const order: KeptSifReason[] = ["prod", "custom", "live-ref", "recent", "ambiguous", "unrecognised-name"];
  const keptText = order
    .map((reason) => [reason, result.kept.filter((entry) => entry.reason === reason).length] as const)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(", ");
  const lines = [
    `${result.safety.sifs} SIFs in ${result.buckets.map((bucket) => bucket.location).join(", ")}; ${result.liveSlugs.length} live branches and tags; ${verb} ${sifs.length}, kept ${result.kept.length}${keptText ? ` (${keptText})` : ""}.`,
  ];
  for (const sif of sifs)
    lines.push(`  ${verb}: ${sifLocation(result, sif)} (branch ${sif.branchSlug} is gone)`);
  if (!result.applied && sifs.length > 0) lines.push("Dry run: nothing deleted. Add --apply to delete.");
  for (const error of result.errors)
    lines.push(`error: ${sifLocation(result, error)}: ${error.code} ${error.message}`.trimEnd());
  for (const warning of result.warnings) lines.push(`warning: ${formatProblem(warning)}`);
  return lines;
}
