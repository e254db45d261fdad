import { createMemoryStorage, type MemoryObject, type MemoryStorage } from "@spacktainers/cache-janitor";
import { parseSiteConfig, readCiContext, type SiteConfig } from "@spacktainers/core";
import { describe, expect, test } from "vitest";
import { removeStaleSifs, type SifBucketTarget, sifBucketTargets } from "./remove-stale-sifs.js";

function siteConfig(
  arches: Record<string, { name: string; prod_name?: string; prefix?: string }>,
): SiteConfig {
  const architectures = Object.entries(arches)
    .map(
      ([arch, bucket]) => `
  ${arch}:
    runner_tags: [${arch}]
    spack_requirement: "target=${arch}"
    cache_bucket:
      name: cache-${arch}
      credentials: { access_key_var: CACHE_KEY, secret_key_var: CACHE_SECRET }
    containers_bucket:
      name: ${bucket.name}
${bucket.prod_name ? `      prod_name: ${bucket.prod_name}\n` : ""}${bucket.prefix === undefined ? "" : `      prefix: "${bucket.prefix}"\n`}      credentials: { access_key_var: SIF_KEY, secret_key_var: SIF_SECRET }`,
    )
    .join("");
  const text = `architectures:${architectures}
spack:
  repository: https://github.com/spack/spack.git
  branch: v1.0.2
  template: { spack: { specs: [] } }
`;
  const { value, problems } = parseSiteConfig({ text });
  if (!value) throw new Error(JSON.stringify(problems));
  return value;
}

describe("sifBucketTargets", () => {
  test("scans each branch bucket and prefix once, never a separate prod bucket", () => {
    const config = siteConfig({
      amd64: { name: "sif", prod_name: "sif-prod" },
      arm64: { name: "sif", prefix: "containers/" },
      ppc64le: { name: "sif", prefix: "" },
      riscv64: { name: "sif-riscv" },
    });
    expect(sifBucketTargets(config).map(({ config: _, ...target }) => target)).toEqual([
      { bucket: "sif", prefix: "containers/", architectures: ["amd64", "arm64"] },
      { bucket: "sif", prefix: "", architectures: ["ppc64le"] },
      { bucket: "sif-riscv", prefix: "containers/", architectures: ["riscv64"] },
    ]);
  });
});

const now = new Date("2025-06-01T12:00:00Z");
const old = Date.parse("2025-05-01T00:00:00Z");
const context = readCiContext({ env: {}, now, overrides: { refName: "main", defaultBranch: "main" } });

function storageWith(keys: Record<string, number>, failDelete?: (key: string) => boolean): MemoryStorage {
  const objects = new Map<string, MemoryObject>(
    Object.entries(keys).map(([key, lastModified]) => [
      key,
      { body: new Uint8Array(key.length), lastModified },
    ]),
  );
  return createMemoryStorage({
    objects,
    failDelete: (key) =>
      failDelete?.(key) ? { key, code: "AccessDenied", message: "Access Denied" } : undefined,
  });
}

/** A GitLab client answering the two listings from a fixed map. */
function gitlabWith(refs: { branches: string[]; tags?: string[] }) {
  const requested: string[] = [];
  return {
    requested,
    async listAll<T>(path: string): Promise<T[]> {
      requested.push(path);
      const names = path === "/repository/branches" ? refs.branches : (refs.tags ?? []);
      return names.map((name) => ({ name })) as T[];
    },
  };
}

describe("removeStaleSifs", () => {
  const config = siteConfig({ amd64: { name: "sif" }, arm64: { name: "sif" } });

  test("plans only SIFs whose every reading is a branch no longer listed; apply deletes them", async () => {
    const storage = storageWith({
      "app__1.0.sif": old,
      "app__1.0-arm64.sif": old,
      "app__1.0__gone.sif": old,
      "app__1.0__gone-arm64.sif": old,
      "app__1.0__feature-x-arm64.sif": old,
      "app__1.0__v2-0.sif": old,
      "app__1.0__gone-too.sif": Date.parse("2025-06-01T11:30:00Z"),
      "tools__22.04__amd64.sif": old,
      "tools__22.04__gone__amd64.sif": old,
      "README.md": old,
      "app__1.0__other.sif": old,
      "app__1.0__more.sif": old,
    });
    const targets: SifBucketTarget[] = [];
    const run = (apply: boolean) =>
      removeStaleSifs({
        config,
        context,
        gitlab: gitlabWith({ branches: ["main", "Feature/X", "other", "more"], tags: ["v2.0"] }),
        openStorage: (target) => {
          targets.push(target);
          return storage;
        },
        apply,
        now,
      });
    const plan = await run(false);
    expect(plan).toEqual({
      applied: false,
      liveSlugs: ["feature-x", "main", "more", "other", "v2-0"],
      buckets: [
        {
          bucket: "sif",
          prefix: "containers/",
          location: "s3://sif/containers/",
          architectures: ["amd64", "arm64"],
          sifs: 11,
        },
      ],
      toDelete: [
        { bucket: "sif", key: "containers/app__1.0__gone-arm64.sif", branchSlug: "gone", bytes: 24 },
        { bucket: "sif", key: "containers/app__1.0__gone.sif", branchSlug: "gone", bytes: 18 },
      ],
      deleted: [],
      kept: [
        {
          bucket: "sif",
          key: "containers/README.md",
          reason: "unrecognised-name",
          detail: "not a .sif file",
        },
        { bucket: "sif", key: "containers/app__1.0-arm64.sif", reason: "prod", detail: "no branch slug" },
        { bucket: "sif", key: "containers/app__1.0.sif", reason: "prod", detail: "no branch slug" },
        {
          bucket: "sif",
          key: "containers/app__1.0__feature-x-arm64.sif",
          reason: "live-ref",
          detail: "feature-x",
        },
        {
          bucket: "sif",
          key: "containers/app__1.0__gone-too.sif",
          reason: "recent",
          detail: "modified 2025-06-01T11:30:00.000Z",
        },
        { bucket: "sif", key: "containers/app__1.0__more.sif", reason: "live-ref", detail: "more" },
        { bucket: "sif", key: "containers/app__1.0__other.sif", reason: "live-ref", detail: "other" },
        { bucket: "sif", key: "containers/app__1.0__v2-0.sif", reason: "live-ref", detail: "v2-0" },
        {
          bucket: "sif",
          key: "containers/tools__22.04__amd64.sif",
          reason: "prod",
          detail: "no branch slug",
        },
        {
          bucket: "sif",
          key: "containers/tools__22.04__gone__amd64.sif",
          reason: "ambiguous",
          detail: "readable as custom-prod or custom-branch; slug gone matches no branch",
        },
      ],
      errors: [],
      safety: { sifs: 11, deleteFraction: 2 / 11, maxDeleteFraction: 0.5, exceeded: false },
      warnings: [
        {
          file: "s3://sif/containers/",
          code: "SIF_NAME_AMBIGUOUS",
          message: "1 SIF name(s) of no existing branch could also be prod SIF names and are kept.",
          hint: "Docker tags may contain __; if your source tags never do, pass --assume-tags-without-separator.",
        },
      ],
    });
    expect(targets.map((target) => target.architectures)).toEqual([["amd64", "arm64"]]);
    expect(storage.objects.size).toBe(12);

    const applied = await run(true);
    expect(applied.applied).toBe(true);
    expect(applied.deleted).toEqual(plan.toDelete);
    expect([...storage.objects.keys()].filter((key) => key.includes("gone"))).toEqual([
      "app__1.0__gone-too.sif",
      "tools__22.04__gone__amd64.sif",
    ]);
    const again = await run(true);
    expect([again.toDelete, again.deleted, again.errors]).toEqual([[], [], []]);
  });

  test("refuses an empty branch list before listing any bucket", async () => {
    const gitlab = gitlabWith({ branches: [], tags: ["v1"] });
    await expect(
      removeStaleSifs({
        config,
        context,
        gitlab,
        openStorage: () => {
          throw new Error("must not open storage");
        },
        apply: true,
        now,
      }),
    ).rejects.toMatchObject({ code: "BRANCH_LIST_EMPTY" });
    expect(gitlab.requested).toEqual(["/repository/branches"]);
  });

  test("refuses to apply a plan above maxDeleteFraction unless forced; a dry run warns", async () => {
    const storage = storageWith({ "a__1__gone.sif": old, "b__1__gone.sif": old, "c__1.sif": old });
    const options = {
      config,
      context,
      gitlab: gitlabWith({ branches: ["main"] }),
      openStorage: () => storage,
      now,
    };
    const plan = await removeStaleSifs(options);
    expect([plan.safety, plan.warnings]).toEqual([
      { sifs: 3, deleteFraction: 2 / 3, maxDeleteFraction: 0.5, exceeded: true },
      [
        {
          file: "s3://sif/containers/",
          code: "DELETE_FRACTION_EXCEEDED",
          message: "the plan deletes 66.7% of the SIFs, more than 0.5: applying it needs force.",
        },
      ],
    ]);
    await expect(removeStaleSifs({ ...options, apply: true })).rejects.toMatchObject({
      code: "DELETE_FRACTION_EXCEEDED",
    });
    expect(storage.objects.size).toBe(3);
    const forced = await removeStaleSifs({ ...options, apply: true, force: true });
    expect(forced.deleted.map((sif) => sif.key)).toEqual([
      "containers/a__1__gone.sif",
      "containers/b__1__gone.sif",
    ]);
    expect([...storage.objects.keys()]).toEqual(["c__1.sif"]);
  });

  test("reports keys DeleteObjects refused, deletes the others", async () => {
    const storage = storageWith(
      { "a__1__gone.sif": old, "b__1__gone.sif": old, "c__1.sif": old, "d__1.sif": old },
      (key) => key === "b__1__gone.sif",
    );
    const result = await removeStaleSifs({
      config,
      context,
      gitlab: gitlabWith({ branches: ["main"] }),
      openStorage: () => storage,
      apply: true,
      now,
    });
    expect([result.deleted, result.errors]).toEqual([
      [{ bucket: "sif", key: "containers/a__1__gone.sif", branchSlug: "gone", bytes: 14 }],
      [{ bucket: "sif", key: "containers/b__1__gone.sif", code: "AccessDenied", message: "Access Denied" }],
    ]);
    expect([...storage.objects.keys()]).toEqual(["b__1__gone.sif", "c__1.sif", "d__1.sif"]);
  });

  test("without an s3 factory, missing credentials are named, never valued", async () => {
    await expect(
      removeStaleSifs({
        config,
        context,
        gitlab: gitlabWith({ branches: ["main"] }),
        env: { SIF_KEY: "set" },
        now,
      }),
    ).rejects.toThrow("no credentials for bucket sif: set the CI variables SIF_KEY and SIF_SECRET.");
  });
});
