import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CliSpec,
  type CommandContext,
  defineCommand,
  type FlagTable,
  KNOWN_ARCHITECTURES,
  s3EndpointFlag,
  UsageError,
} from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";
import { type ApplyPruneOptions, applyPrune } from "./apply-prune.js";
import { formatPlan, formatResult } from "./format-plan.js";
import { type PlanPruneOptions, planPrune } from "./plan-prune.js";
import { formatSifPrune, pruneSifs } from "./prune-sifs.js";
import type { StorageProgress } from "./storage/cache-storage.js";
import { openStorage } from "./storage/open-storage.js";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const connectionFlags = {
  // runCli handles --json for every command; declared here so the flag is typed.
  json: { type: "boolean", description: "machine-readable result on stdout" },
  endpoint: s3EndpointFlag,
  now: {
    type: "string",
    placeholder: "ISO-DATE",
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
    description: "refuse to delete more than this fraction of the objects without --force",
  },
  "orphan-grace": {
    type: "string",
    placeholder: "MINUTES",
    default: "60",
    description: "objects younger than this are never orphans (pushes in flight)",
  },
  concurrency: { type: "string", placeholder: "N", default: "4", description: "delete requests in flight" },
  "listing-tolerance": {
    type: "string",
    placeholder: "N",
    default: "50",
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
    description: "how long this run's lock holds before another run may break it",
  },
} as const satisfies FlagTable;

const ruleFlags = {
  "max-age": { type: "string", placeholder: "DAYS", description: "delete specs older than this many days" },
  "packages-from": {
    type: "string",
    multiple: true,
    placeholder: "PATH",
    description: "Spack package repo folder or file of names; delete specs of other packages",
  },
  "no-orphans": { type: "boolean", description: "do not delete orphan objects" },
} as const satisfies FlagTable;

type CacheFlagValues = CommandContext<typeof cacheFlags>["flags"];

function parseNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < 0)
    throw new UsageError(`--${flag} takes a number ≥ 0, got "${value}".`);
  return number;
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--now takes an ISO 8601 date, got "${value}".`);
  return date;
}

/** A progress line on stderr, redrawn in place, only on a terminal. */
function progressReporter(
  context: CommandContext<FlagTable>,
): ((progress: StorageProgress) => void) | undefined {
  if (!context.isTTY) return undefined;
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
    context.log(`${drawn ? "\x1b[1A\x1b[2K" : ""}${label}${bar}`);
    drawn = true;
  };
}

function cacheOptions(context: CommandContext<typeof cacheFlags>): PlanPruneOptions {
  const flags: CacheFlagValues = context.flags;
  if (!flags.cache)
    throw new UsageError("--cache is required (s3://bucket/prefix, file:///path or a folder).");
  const onProgress = progressReporter(context as unknown as CommandContext<FlagTable>);
  return {
    cache: flags.cache,
    now: parseNow(flags.now),
    endpoint: flags.endpoint,
    cwd: context.cwd,
    env: context.env,
    keepLocks: flags["keep-lock"].map((file) => resolve(context.cwd, file)),
    keeplists: flags.keeplist.map((file) => resolve(context.cwd, file)),
    cascade: !flags["no-cascade"],
    allowMissingIndex: flags["allow-missing-index"],
    maxDeleteFraction: parseNumber(flags["max-delete-fraction"], "max-delete-fraction"),
    orphanGraceMinutes: parseNumber(flags["orphan-grace"], "orphan-grace"),
    listingTolerance: parseNumber(flags["listing-tolerance"], "listing-tolerance"),
    ...(onProgress ? { onProgress } : {}),
  };
}

async function writeReport(
  context: CommandContext<FlagTable>,
  file: string | undefined,
  value: unknown,
): Promise<void> {
  if (!file) return;
  await writeFileAtomic(resolve(context.cwd, file), `${context.mask(JSON.stringify(value, null, 2))}\n`);
}

/** Plans, and with `--apply` prunes; prints the table on stderr and JSON on stdout with `--json`. */
async function runPrune(
  context: CommandContext<FlagTable>,
  options: PlanPruneOptions,
  apply: {
    apply: boolean;
    force: boolean;
    reindex: boolean;
    concurrency?: number;
    breakLock?: boolean;
    lockTtlMinutes?: number;
  },
  command: string,
): Promise<number> {
  const flags = context.flags as unknown as { json: boolean; report?: string };
  if (!apply.apply) {
    const plan = await planPrune(options);
    for (const line of formatPlan(plan)) context.log(line);
    if (plan.deletions.length > 0)
      context.log(`Dry run: nothing deleted. Run '${command} --apply' with the same options to delete.`);
    await writeReport(context, flags.report, plan);
    if (flags.json) context.json(plan);
    return 0;
  }
  const applyOptions: ApplyPruneOptions = {
    ...options,
    force: apply.force,
    reindex: apply.reindex,
    deleteConcurrency: apply.concurrency,
    breakLock: apply.breakLock,
    lockTtlMinutes: apply.lockTtlMinutes,
  };
  const result = await applyPrune(applyOptions);
  for (const line of formatPlan(result.plan)) context.log(line);
  for (const line of formatResult(result)) context.log(line);
  await writeReport(context, flags.report, result);
  if (flags.json) context.json(result);
  return result.failed.length > 0 ? 3 : 0;
}

function applySettings(flags: {
  apply: boolean;
  force: boolean;
  "no-reindex": boolean;
  "break-lock": boolean;
  "lock-ttl"?: string;
  concurrency?: string;
}) {
  return {
    apply: flags.apply,
    force: flags.force,
    reindex: !flags["no-reindex"],
    concurrency: parseNumber(flags.concurrency, "concurrency"),
    breakLock: flags["break-lock"],
    lockTtlMinutes: parseNumber(flags["lock-ttl"], "lock-ttl"),
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
  async run(context) {
    const options = cacheOptions(context as unknown as CommandContext<typeof cacheFlags>);
    return runPrune(
      context as unknown as CommandContext<FlagTable>,
      {
        ...options,
        maxAgeDays: parseNumber(context.flags["max-age"], "max-age"),
        packagesFrom: context.flags["packages-from"].map((path) => resolve(context.cwd, path)),
        orphans: !context.flags["no-orphans"],
      },
      { apply: false, force: false, reindex: true },
      "spacktainers-janitor prune",
    );
  },
});

const pruneCommand = defineCommand({
  name: "prune",
  summary: "delete by the rules (dry run unless --apply), then rewrite the index",
  usage: "prune --cache URL [rules] [protection] [--apply [--force] [--no-reindex]]",
  details: EXAMPLES,
  flags: { ...cacheFlags, ...ruleFlags, ...applyFlags },
  async run(context) {
    const options = cacheOptions(context as unknown as CommandContext<typeof cacheFlags>);
    return runPrune(
      context as unknown as CommandContext<FlagTable>,
      {
        ...options,
        maxAgeDays: parseNumber(context.flags["max-age"], "max-age"),
        packagesFrom: context.flags["packages-from"].map((path) => resolve(context.cwd, path)),
        orphans: !context.flags["no-orphans"],
      },
      applySettings(context.flags),
      "spacktainers-janitor prune",
    );
  },
});

const purgeCommand = defineCommand({
  name: "purge",
  summary: "delete the named specs (and, unless --no-cascade, their dependents)",
  usage: "purge --cache URL --hash H [--hash H…] [--apply]",
  flags: {
    ...cacheFlags,
    hash: { type: "string", multiple: true, placeholder: "HASH", description: "spec hash or unique prefix" },
    ...applyFlags,
  },
  async run(context) {
    if (context.flags.hash.length === 0) throw new UsageError("purge needs at least one --hash.");
    return runPrune(
      context as unknown as CommandContext<FlagTable>,
      {
        ...cacheOptions(context as unknown as CommandContext<typeof cacheFlags>),
        purgeHashes: context.flags.hash,
        orphans: false,
      },
      applySettings(context.flags),
      "spacktainers-janitor purge",
    );
  },
});

const purgeDependentsCommand = defineCommand({
  name: "purge-dependents",
  summary: "delete every spec that depends on a package, recursively (not the package itself)",
  usage: "purge-dependents --cache URL --package NAME [--apply]",
  flags: {
    ...cacheFlags,
    package: { type: "string", multiple: true, placeholder: "NAME", description: "package name" },
    ...applyFlags,
  },
  async run(context) {
    if (context.flags.package.length === 0)
      throw new UsageError("purge-dependents needs at least one --package.");
    return runPrune(
      context as unknown as CommandContext<FlagTable>,
      {
        ...cacheOptions(context as unknown as CommandContext<typeof cacheFlags>),
        purgeDependentsOf: context.flags.package,
        orphans: false,
      },
      applySettings(context.flags),
      "spacktainers-janitor purge-dependents",
    );
  },
});

const orphansCommand = defineCommand({
  name: "orphans",
  summary:
    "delete orphans only: v2 tarballs/spec files without their pair, v3 broken manifests and unreferenced blobs",
  usage: "orphans --cache URL [--apply]",
  flags: { ...cacheFlags, ...applyFlags },
  async run(context) {
    return runPrune(
      context as unknown as CommandContext<FlagTable>,
      { ...cacheOptions(context as unknown as CommandContext<typeof cacheFlags>), orphans: true },
      applySettings(context.flags),
      "spacktainers-janitor orphans",
    );
  },
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
      description: "keep SIFs modified less than this many hours ago",
    },
    "max-delete-fraction": {
      type: "string",
      placeholder: "F",
      default: "0.5",
      description: "refuse to delete more than this fraction of the SIFs without --force",
    },
    ...connectionFlags,
    apply: applyFlags.apply,
    force: applyFlags.force,
  },
  async run(context) {
    const { flags } = context;
    if (!flags.bucket) throw new UsageError("--bucket is required (a bucket name, s3://bucket or a folder).");
    if (flags["live-branch"].length === 0)
      throw new UsageError(
        "give at least one --live-branch (the default branch at least); with none, every branch SIF would go.",
      );
    const prefix = (flags.prefix ?? "").replace(/^\/+|\/+$/g, "");
    const url = bucketUrl(flags.bucket);
    const root = prefix ? `${url}/${prefix}` : url;
    // A missing folder would list as empty, like an empty prefix; a missing bucket folder is a typo.
    if (!url.startsWith("s3://")) {
      const folder = url.startsWith("file://") ? fileURLToPath(url) : resolve(context.cwd, url);
      if (!existsSync(folder)) throw new UsageError(`--bucket ${flags.bucket}: no such folder ${folder}.`);
    }
    // Every flag is read before the storage opens (pruneSifs closes it).
    const minAgeHours = parseNumber(flags["min-age-hours"], "min-age-hours");
    const maxDeleteFraction = parseNumber(flags["max-delete-fraction"], "max-delete-fraction");
    const now = parseNow(flags.now);
    const storage = openStorage({
      url: root,
      endpoint: flags.endpoint,
      cwd: context.cwd,
      env: context.env,
    });
    // Results name S3 objects by bucket and full key; a folder by itself and the prefix.
    const s3Path = root.startsWith("s3://") ? root.slice("s3://".length).split("/") : undefined;
    const keyPrefix = (s3Path ? s3Path.slice(1).join("/") : prefix).replace(/\/*$/, "/").replace(/^\/$/, "");
    const onProgress = progressReporter(context as unknown as CommandContext<FlagTable>);
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
      minAgeHours,
      maxDeleteFraction,
      now,
      apply: flags.apply,
      force: flags.force,
      ...(onProgress ? { onProgress } : {}),
    });
    for (const line of formatSifPrune(result)) context.log(line);
    await writeReport(context as unknown as CommandContext<FlagTable>, flags.report, result);
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
