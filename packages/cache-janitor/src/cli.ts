import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CliSpec,
  type CommandContext,
  type CommandIo,
  dateFlag,
  defineCommand,
  durationFlag,
  type FlagTable,
  type FlagValues,
  KNOWN_ARCHITECTURES,
  numberFlag,
  s3EndpointFlag,
  UsageError,
} from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { type ApplyPruneOptions, applyPrune } from "./apply-prune.js";
import { formatPlan, formatResult } from "./format-plan.js";
import { type PlanPruneOptions, PRUNE_OPTION_RANGES, planPrune } from "./plan-prune.js";
import { formatSifPrune, pruneSifs } from "./prune-sifs.js";
import type { StorageProgress } from "./storage/cache-storage.js";
import { openStorage } from "./storage/open-storage.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const connectionFlags = {
  endpoint: s3EndpointFlag,
  now: {
    type: "string",
    placeholder: "ISO-DATE",
    parse: dateFlag,
    description: "start time of the run, for ages and the orphan grace period (default: the clock)",
  },
  report: {
    type: "string",
    placeholder: "FILE",
    description: "write the plan (every key and its reason) as JSON",
  },
} as const satisfies FlagTable;

const cacheFlags = {
  cache: {
    type: "string",
    placeholder: "URL",
    env: "SPACK_BUILDCACHE_URL",
    required: "s3://bucket/prefix, file:///path or a folder",
    description: "the build cache: s3://bucket/prefix, file:///path or a folder",
  },
  ...connectionFlags,
  "keep-lock": {
    type: "string",
    multiple: true,
    placeholder: "FILE",
    description: "never delete a spec of this spack.lock, nor its dependencies",
  },
  keeplist: {
    type: "string",
    multiple: true,
    placeholder: "FILE",
    description: "never delete these hashes (one a line), nor their dependencies",
  },
  "no-cascade": { type: "boolean", description: "do not delete the dependents of deleted specs" },
  "allow-missing-index": {
    type: "boolean",
    description: "work without a readable index (dependencies are then unknown)",
  },
  "max-delete-fraction": {
    type: "string",
    placeholder: "F",
    default: "0.5",
    parse: numberFlag(PRUNE_OPTION_RANGES.maxDeleteFraction),
    description: "refuse to delete more than this fraction of the objects without --force",
  },
  "orphan-grace": {
    type: "string",
    placeholder: "MINUTES",
    default: "60",
    parse: durationFlag({ unit: "minutes", ...PRUNE_OPTION_RANGES.orphanGraceMinutes }),
    description: "objects younger than this are never orphans (pushes in flight)",
  },
  concurrency: {
    type: "string",
    placeholder: "N",
    default: "4",
    parse: numberFlag(PRUNE_OPTION_RANGES.concurrency),
    description: "delete requests in flight",
  },
  "listing-tolerance": {
    type: "string",
    placeholder: "N",
    default: "50",
    parse: numberFlag(PRUNE_OPTION_RANGES.listingTolerance),
    description:
      "index entries the listing may lack (each confirmed absent one by one) before the run stops as on an incomplete listing",
  },
} as const satisfies FlagTable;

const applyFlags = {
  apply: { type: "boolean", description: "really delete (without it: a dry run)" },
  force: { type: "boolean", description: "delete even beyond --max-delete-fraction" },
  "no-reindex": {
    type: "boolean",
    description: "do not rewrite the index (then run `spack buildcache update-index`)",
  },
  "break-lock": {
    type: "boolean",
    description: "take over another run's lock once it has expired (a live lock is never broken)",
  },
  "lock-ttl": {
    type: "string",
    placeholder: "MINUTES",
    default: "180",
    parse: durationFlag({ unit: "minutes", ...PRUNE_OPTION_RANGES.lockTtlMinutes }),
    description: "how long this run's lock holds before another run may break it",
  },
} as const satisfies FlagTable;

const ruleFlags = {
  "max-age": {
    type: "string",
    placeholder: "DAYS",
    parse: durationFlag({ unit: "days", ...PRUNE_OPTION_RANGES.maxAgeDays }),
    description: "delete specs older than this many days",
  },
  "packages-from": {
    type: "string",
    multiple: true,
    placeholder: "PATH",
    description: "Spack package repo folder or file of names; delete specs of other packages",
  },
  "no-orphans": { type: "boolean", description: "do not delete orphan objects" },
} as const satisfies FlagTable;

/** A progress line on stderr, redrawn in place, only on a terminal. */
function progressReporter(io: CommandIo): ((progress: StorageProgress) => void) | undefined {
  if (!io.isTTY) return undefined;
  let last = 0;
  let drawn = false;
  return (progress) => {
    const time = Date.now();
    const finished = progress.total !== undefined && progress.done >= progress.total;
    if (time - last < 100 && !finished) return;
    last = time;
    const label = {
      list: "listing",
      read: "reading manifests",
      confirm: "confirming absences",
      delete: "deleting",
    }[progress.phase];
    let bar = "";
    if (progress.total) {
      const filled = Math.round((progress.done / progress.total) * 30);
      bar = ` [${"#".repeat(filled)}${" ".repeat(30 - filled)}] ${progress.done}/${progress.total}`;
    } else bar = ` ${progress.done}`;
    io.log(`${drawn ? "\x1b[1A\x1b[2K" : ""}${label}${bar}`);
    drawn = true;
  };
}

/** The options every cache command shares: where the cache is, protection and safety. */
function cacheOptions(io: CommandIo, flags: FlagValues<typeof cacheFlags>): PlanPruneOptions {
  const onProgress = progressReporter(io);
  return {
    cache: flags.cache,
    now: flags.now ?? new Date(),
    endpoint: flags.endpoint,
    cwd: io.cwd,
    env: io.env,
    keepLocks: flags["keep-lock"].map((file) => resolve(io.cwd, file)),
    keeplists: flags.keeplist.map((file) => resolve(io.cwd, file)),
    cascade: !flags["no-cascade"],
    allowMissingIndex: flags["allow-missing-index"],
    maxDeleteFraction: flags["max-delete-fraction"],
    orphanGraceMinutes: flags["orphan-grace"],
    listingTolerance: flags["listing-tolerance"],
    ...(onProgress ? { onProgress } : {}),
  };
}

/** The options of `--apply` (undefined for a dry run). */
function applySettings(
  flags: FlagValues<typeof applyFlags> & { concurrency: number },
): ApplySettings | undefined {
  if (!flags.apply) return undefined;
  return {
    force: flags.force,
    reindex: !flags["no-reindex"],
    deleteConcurrency: flags.concurrency,
    breakLock: flags["break-lock"],
    lockTtlMinutes: flags["lock-ttl"],
  };
}

type ApplySettings = Pick<
  ApplyPruneOptions,
  "force" | "reindex" | "deleteConcurrency" | "breakLock" | "lockTtlMinutes"
>;

async function writeReport(io: CommandIo, file: string | undefined, value: unknown): Promise<void> {
  if (!file) return;
  await writeFileAtomic(resolve(io.cwd, file), `${io.mask(JSON.stringify(value, null, 2))}\n`);
}

/**
 * The one body of every cache command: plans, or with `--apply` prunes; prints the table on
 * stderr, JSON on stdout with `--json`, the report with `--report`.
 */
async function runPrune(
  context: CommandContext<typeof cacheFlags>,
  rules: Partial<PlanPruneOptions>,
  apply: ApplySettings | undefined,
  command: string,
): Promise<number> {
  const { flags } = context;
  const options = { ...cacheOptions(context, flags), ...rules };
  if (!apply) {
    const plan = await planPrune(options);
    for (const line of formatPlan(plan)) context.log(line);
    if (plan.deletions.length > 0)
      context.log(`Dry run: nothing deleted. Run '${command} --apply' with the same options to delete.`);
    await writeReport(context, flags.report, plan);
    if (flags.json) context.json(plan);
    return 0;
  }
  const result = await applyPrune({ ...options, ...apply });
  for (const line of formatPlan(result.plan)) context.log(line);
  for (const line of formatResult(result)) context.log(line);
  await writeReport(context, flags.report, result);
  if (flags.json) context.json(result);
  return result.failed.length > 0 ? 3 : 0;
}

/** The rules of `plan` and `prune`. */
function ruleOptions(io: CommandIo, flags: FlagValues<typeof ruleFlags>): Partial<PlanPruneOptions> {
  return {
    maxAgeDays: flags["max-age"],
    packagesFrom: flags["packages-from"].map((path) => resolve(io.cwd, path)),
    orphans: !flags["no-orphans"],
  };
}

const EXAMPLES = `Examples:
  spacktainers-janitor plan --cache s3://spack-cache/build --max-age 90 --packages-from ./spack-packages --keep-lock prod/spack.lock
  spacktainers-janitor prune --apply --cache file:///srv/mirror --max-age 30 --report prune.json`;

const planCommand = defineCommand({
  name: "plan",
  summary: "dry run: what prune would delete, with a reason per object",
  usage: "plan --cache URL [rules] [protection]",
  details: EXAMPLES,
  flags: { ...cacheFlags, ...ruleFlags },
  run: (context) =>
    runPrune(context, ruleOptions(context, context.flags), undefined, "spacktainers-janitor prune"),
});

const pruneCommand = defineCommand({
  name: "prune",
  summary: "delete by the rules (dry run unless --apply), then rewrite the index",
  usage: "prune --cache URL [rules] [protection] [--apply [--force] [--no-reindex]]",
  details: EXAMPLES,
  flags: { ...cacheFlags, ...ruleFlags, ...applyFlags },
  run: (context) =>
    runPrune(
      context,
      ruleOptions(context, context.flags),
      applySettings(context.flags),
      "spacktainers-janitor prune",
    ),
});

const purgeCommand = defineCommand({
  name: "purge",
  summary: "delete the named specs (and, unless --no-cascade, their dependents)",
  usage: "purge --cache URL --hash H [--hash H…] [--apply]",
  flags: {
    ...cacheFlags,
    hash: {
      type: "string",
      multiple: true,
      required: "name at least one spec",
      placeholder: "HASH",
      description: "spec hash or unique prefix",
    },
    ...applyFlags,
  },
  run: (context) =>
    runPrune(
      context,
      { purgeHashes: context.flags.hash, orphans: false },
      applySettings(context.flags),
      "spacktainers-janitor purge",
    ),
});

const purgeDependentsCommand = defineCommand({
  name: "purge-dependents",
  summary: "delete every spec that depends on a package, recursively (not the package itself)",
  usage: "purge-dependents --cache URL --package NAME [--apply]",
  flags: {
    ...cacheFlags,
    package: {
      type: "string",
      multiple: true,
      required: "name at least one package",
      placeholder: "NAME",
      description: "package name",
    },
    ...applyFlags,
  },
  run: (context) =>
    runPrune(
      context,
      { purgeDependentsOf: context.flags.package, orphans: false },
      applySettings(context.flags),
      "spacktainers-janitor purge-dependents",
    ),
});

const orphansCommand = defineCommand({
  name: "orphans",
  summary:
    "delete orphans only: v2 tarballs/spec files without their pair, v3 broken manifests and unreferenced blobs",
  usage: "orphans --cache URL [--apply]",
  flags: { ...cacheFlags, ...applyFlags },
  run: (context) =>
    runPrune(context, { orphans: true }, applySettings(context.flags), "spacktainers-janitor orphans"),
});

/** A bucket argument as a storage URL: a bare name is an S3 bucket. */
function bucketUrl(bucket: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(bucket) || /^[./~]/.test(bucket) ? bucket : `s3://${bucket}`;
  return url.replace(/\/+$/, "");
}

const sifsCommand = defineCommand({
  name: "sifs",
  summary:
    "delete the SIFs <name>__<tag>__<branch>.sif of branches that are gone (never prod SIFs; custom …__<arch>.sif only with --include-custom)",
  usage:
    "sifs --bucket NAME|URL [--prefix containers/] --live-branch SLUG [--live-branch SLUG…] [--apply [--force]]",
  details: `Branch slugs are in CI_COMMIT_REF_SLUG form (feature/X → feature-x); name the default branch too.
SIFs modified in the last --min-age-hours are kept (their branch may be newer than your list).

Example:
  spacktainers-janitor sifs --bucket sif-containers --live-branch main --live-branch feature-x`,
  flags: {
    bucket: {
      type: "string",
      placeholder: "BUCKET",
      required: "a bucket name, s3://bucket or a folder",
      description: "bucket name, s3://bucket[/path], file:///path or a folder",
    },
    prefix: {
      type: "string",
      placeholder: "PREFIX",
      default: "containers/",
      description: "prefix of the SIF files in the bucket",
    },
    "live-branch": {
      type: "string",
      multiple: true,
      placeholder: "SLUG",
      required: "the default branch at least; with none, every branch SIF would go",
      description: "slug of a branch or tag that still exists (at least one)",
    },
    arch: {
      type: "string",
      multiple: true,
      placeholder: "ARCH",
      description: `another architecture name a tag may end with (known: ${KNOWN_ARCHITECTURES.join(", ")})`,
    },
    "include-custom": {
      type: "boolean",
      description: "also delete custom SIFs <name>__<tag>__<branch>__<arch>.sif of gone branches",
    },
    "assume-tags-without-separator": {
      type: "boolean",
      description:
        "with --include-custom: source image tags never hold __, so <name>__<a>__<b>__<arch>.sif is branch b's, not tag a__b's",
    },
    "min-age-hours": {
      type: "string",
      placeholder: "H",
      default: "1",
      parse: numberFlag({ min: 0 }),
      description: "keep SIFs modified less than this many hours ago",
    },
    "max-delete-fraction": {
      type: "string",
      placeholder: "F",
      default: "0.5",
      parse: numberFlag(PRUNE_OPTION_RANGES.maxDeleteFraction),
      description: "refuse to delete more than this fraction of the SIFs without --force",
    },
    ...connectionFlags,
    apply: applyFlags.apply,
    force: applyFlags.force,
  },
  async run(context) {
    const { flags } = context;
    const prefix = (flags.prefix ?? "").replace(/^\/+|\/+$/g, "");
    const url = bucketUrl(flags.bucket);
    const root = prefix ? `${url}/${prefix}` : url;
    // A missing folder would list as empty, like an empty prefix; a missing bucket folder is a typo.
    if (!url.startsWith("s3://")) {
      const folder = url.startsWith("file://") ? fileURLToPath(url) : resolve(context.cwd, url);
      if (!existsSync(folder)) throw new UsageError(`--bucket ${flags.bucket}: no such folder ${folder}.`);
    }
    const storage = openStorage({
      url: root,
      endpoint: flags.endpoint,
      cwd: context.cwd,
      env: context.env,
    });
    // Results name S3 objects by bucket and full key; a folder by itself and the prefix.
    const s3Path = root.startsWith("s3://") ? root.slice("s3://".length).split("/") : undefined;
    const keyPrefix = (s3Path ? s3Path.slice(1).join("/") : prefix).replace(/\/*$/, "/").replace(/^\/$/, "");
    const onProgress = progressReporter(context);
    const result = await pruneSifs({
      targets: [
        {
          bucket: s3Path ? s3Path[0]! : url,
          prefix: keyPrefix,
          location: `${storage.location}/`,
          open: () => storage,
        },
      ],
      liveSlugs: flags["live-branch"],
      architectures: [...KNOWN_ARCHITECTURES, ...flags.arch],
      keepCustom: !flags["include-custom"],
      assumeTagsWithoutSeparator: flags["assume-tags-without-separator"],
      minAgeHours: flags["min-age-hours"],
      maxDeleteFraction: flags["max-delete-fraction"],
      now: flags.now ?? new Date(),
      apply: flags.apply,
      force: flags.force,
      ...(onProgress ? { onProgress } : {}),
    });
    for (const line of formatSifPrune(result)) context.log(line);
    await writeReport(context, flags.report, result);
    if (flags.json) context.json(result);
    return result.errors.length > 0 ? 3 : 0;
  },
});

/** The `spacktainers-janitor` CLI. */
export const cli: CliSpec = {
  name: "spacktainers-janitor",
  version,
  description:
    "Prunes a Spack build cache (layouts v2 and v3, on S3 or in a folder) safely. Every command is a dry run unless --apply.",
  commands: [planCommand, pruneCommand, purgeCommand, purgeDependentsCommand, orphansCommand, sifsCommand],
};
