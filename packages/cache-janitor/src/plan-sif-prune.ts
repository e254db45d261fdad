import { SpacktainersError, TAG_SEPARATOR, UsageError, type Warning } from "@spacktainers/core";
import { deleteKeys } from "./apply-prune.js";
import type { CacheStorage, DeleteFailure, StorageProgress } from "./storage/cache-storage.js";
import { openStorage } from "./storage/open-storage.js";

/** Architectures a custom (`.def`) container tag ends with (`…__<arch>.sif`). */
export const DEFAULT_ARCHITECTURES: readonly string[] = [
  "amd64",
  "arm64",
  "x86_64",
  "aarch64",
  "ppc64le",
  "riscv64",
];

export interface PlanSifPruneOptions {
  /** Bucket: a name, `s3://bucket[/prefix]`, `file:///path` or a folder; or a storage. */
  bucket: string | CacheStorage;
  /** Prefix of the SIF files inside the bucket (default `containers/`). */
  prefix?: string;
  /** Slugs of the branches that still exist (`CI_COMMIT_REF_SLUG` form). At least one. */
  liveBranches: readonly string[];
  /** Architecture names a tag may end with (default {@link DEFAULT_ARCHITECTURES}). */
  architectures?: readonly string[];
  endpoint?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Refuse (in `applySifPrune`) to delete more than this fraction of the SIFs (default 0.5). */
  maxDeleteFraction?: number;
  onProgress?: (progress: StorageProgress) => void;
}

/** What a SIF file name says. */
export type SifKind = "prod" | "custom" | "branch" | "unknown";

/** Classifies `<name>__<tag>[__<branch>].sif` (DESIGN §5 tags). */
export function classifySifName(
  fileName: string,
  architectures: readonly string[] = DEFAULT_ARCHITECTURES,
): { kind: SifKind; name?: string; branch?: string } {
  if (!fileName.endsWith(".sif")) return { kind: "unknown" };
  const parts = fileName.slice(0, -".sif".length).split(TAG_SEPARATOR);
  if (parts.some((part) => part === "")) return { kind: "unknown" };
  // Custom containers end in `__<arch>`, prod or branch alike: never touched.
  if (parts.length >= 3 && architectures.includes(parts.at(-1)!)) return { kind: "custom", name: parts[0] };
  if (parts.length === 2) return { kind: "prod", name: parts[0] };
  // `<name>__<version>__<slug>[-<arch>]`: the branch is the third part, not the last `__`-free
  // word (the original took `branch.sif` apart and so saw every branch as gone).
  if (parts.length === 3) return { kind: "branch", name: parts[0], branch: parts[2] };
  return { kind: "unknown" };
}

/** A branch SIF to delete. */
export type SifDeletion = { key: string; size: number; branch: string; reason: "branch-gone" };

export type SifPlan = {
  location: string;
  deletions: SifDeletion[];
  kept: { prod: number; custom: number; liveBranch: number; unknown: number };
  safety: { deleteFraction: number; maxDeleteFraction: number; exceeded: boolean };
  warnings: Warning[];
};

function openSifStorage(options: PlanSifPruneOptions): { storage: CacheStorage; owns: boolean } {
  if (typeof options.bucket !== "string") return { storage: options.bucket, owns: false };
  const prefix = (options.prefix ?? "containers/").replace(/^\/+|\/+$/g, "");
  let url = options.bucket;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.includes("/") && !url.startsWith("."))
    url = `s3://${url}`;
  url = url.replace(/\/+$/, "");
  return {
    storage: openStorage({
      url: prefix ? `${url}/${prefix}` : url,
      endpoint: options.endpoint,
      cwd: options.cwd,
      env: options.env,
    }),
    owns: true,
  };
}

async function prepareSifPrune(
  options: PlanSifPruneOptions,
): Promise<{ plan: SifPlan; storage: CacheStorage; owns: boolean }> {
  const live = new Set(options.liveBranches);
  if (live.size === 0)
    throw new UsageError(
      "give at least one --live-branch (the default branch at least); with none, every branch SIF would go.",
    );
  const architectures = options.architectures ?? DEFAULT_ARCHITECTURES;
  const { storage, owns } = openSifStorage(options);
  try {
    const objects = await storage.list(options.onProgress);
    const kept = { prod: 0, custom: 0, liveBranch: 0, unknown: 0 };
    const deletions: SifDeletion[] = [];
    const unknown: string[] = [];
    let sifs = 0;
    for (const object of objects) {
      if (object.key.includes("/") || !object.key.endsWith(".sif")) continue;
      sifs++;
      const sif = classifySifName(object.key, architectures);
      if (sif.kind === "prod") kept.prod++;
      else if (sif.kind === "custom") kept.custom++;
      else if (sif.kind === "unknown") {
        kept.unknown++;
        unknown.push(object.key);
      } else {
        // A non-amd64 Spack container's tag ends in `-<arch>` (`<version>__<slug>-arm64`).
        const branch = sif.branch!;
        const bare = architectures.map((arch) => `-${arch}`).find((suffix) => branch.endsWith(suffix));
        const slug = bare ? branch.slice(0, -bare.length) : branch;
        if (live.has(branch) || live.has(slug)) kept.liveBranch++;
        else deletions.push({ key: object.key, size: object.size, branch: slug, reason: "branch-gone" });
      }
    }
    const warnings: Warning[] = unknown.length
      ? [
          {
            file: unknown[0]!,
            code: "SIF_NAME_UNKNOWN",
            message: `${unknown.length} SIF name(s) do not follow <name>__<tag>[__<branch>].sif and are kept.`,
          },
        ]
      : [];
    const maxDeleteFraction = options.maxDeleteFraction ?? 0.5;
    const deleteFraction = sifs === 0 ? 0 : deletions.length / sifs;
    return {
      plan: {
        location: storage.location,
        deletions,
        kept,
        safety: { deleteFraction, maxDeleteFraction, exceeded: deleteFraction > maxDeleteFraction },
        warnings,
      },
      storage,
      owns,
    };
  } catch (error) {
    if (owns) storage.close?.();
    throw error;
  }
}

/** Plans the removal of SIFs of branches that are gone. Prod and custom SIFs are never touched. */
export async function planSifPrune(options: PlanSifPruneOptions): Promise<SifPlan> {
  const { plan, storage, owns } = await prepareSifPrune(options);
  if (owns) storage.close?.();
  return plan;
}

/** Deletes the SIFs `planSifPrune` selects. */
export async function applySifPrune(
  options: PlanSifPruneOptions & { force?: boolean },
): Promise<{ plan: SifPlan; deleted: string[]; failed: DeleteFailure[] }> {
  const { plan, storage, owns } = await prepareSifPrune(options);
  try {
    if (plan.safety.exceeded && !options.force)
      throw new SpacktainersError({
        code: "DELETE_FRACTION_EXCEEDED",
        message: `the plan deletes ${plan.deletions.length} SIFs (${(plan.safety.deleteFraction * 100).toFixed(1)}% of them), more than --max-delete-fraction ${plan.safety.maxDeleteFraction}. Nothing was deleted. Check --live-branch, or pass --force.`,
      });
    const { deleted, failed } = await deleteKeys({
      storage,
      keys: plan.deletions.map((deletion) => deletion.key),
      onProgress: options.onProgress,
    });
    return { plan, deleted, failed };
  } finally {
    if (owns) storage.close?.();
  }
}
