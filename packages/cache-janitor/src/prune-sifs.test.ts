import { describe, expect, test } from "vitest";
import {
  formatSifPrune,
  KNOWN_ARCHITECTURES,
  type PruneSifsOptions,
  pruneSifs,
  readSifName,
} from "./prune-sifs.js";
import { createMemoryStorage, type MemoryObject, type MemoryStorage } from "./storage/memory-storage.js";

const architectures = ["amd64", "arm64", ...KNOWN_ARCHITECTURES];

describe("readSifName", () => {
  test.each([
    // Spack prod: `<name>__<version>[-<arch>]`.
    ["py-app__1.2.3.sif", { kind: "prod", container: "py-app" }],
    ["py-app__1.2.3-arm64.sif", { kind: "prod", container: "py-app" }],
    ["neurodamus__develop.sif", { kind: "prod", container: "neurodamus" }],
    // Spack branch: `<name>__<version>__<slug>[-<arch>]`.
    ["py-app__1.2.3__feature-x.sif", { kind: "branch", container: "py-app", slugs: ["feature-x"] }],
    [
      "py-app__1.2.3__feature-x-arm64.sif",
      { kind: "branch", container: "py-app", slugs: ["feature-x", "feature-x-arm64"] },
    ],
    ["py-app__1.2.3__main.sif", { kind: "branch", container: "py-app", slugs: ["main"] }],
    // Custom prod: `<name>__<sourceTag>__<arch>`.
    ["ubuntu-tools__22.04__amd64.sif", { kind: "prod", container: "ubuntu-tools" }],
    ["ubuntu-tools__v1_x__ppc64le.sif", { kind: "prod", container: "ubuntu-tools" }],
    // Custom branch: `<name>__<sourceTag>__<slug>__<arch>`: also readable as the prod SIF of a
    // source tag `22.04__fix` (Docker allows `__` in tags), so kept by default.
    [
      "ubuntu-tools__22.04__fix__arm64.sif",
      {
        kind: "ambiguous",
        container: "ubuntu-tools",
        slugs: ["fix"],
        detail: "readable as custom-prod or custom-branch",
      },
    ],
    // `<name>__<v>__arm64`: a custom prod SIF (not the Spack SIF of a branch named `arm64`).
    ["app__1.0__arm64.sif", { kind: "prod", container: "app" }],
    // A custom tag ending in an upper-case or underscore part is no slug: prod only.
    ["app__v1__Fix__amd64.sif", { kind: "prod", container: "app" }],
    // Not ours.
    ["app.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["App__1.0.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["app____1.0.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["app__1.0__feature.sif.sha256", { kind: "unrecognised", detail: "not a .sif file" }],
    ["old/app__1.0__feature.sif", { kind: "unrecognised", detail: "in a sub-folder of the prefix" }],
    ["app__1.0__Feature_X.sif", { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
    ["app__1.0__a__b.sif", { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
    [`app__1.0__${"a".repeat(64)}.sif`, { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
  ])("%s", (fileName, expected) => {
    expect(readSifName({ fileName, architectures })).toEqual(expected);
  });

  test("with assumeTagsWithoutSeparator a four-part custom name is a branch SIF, five parts unreadable", () => {
    const read = (fileName: string) =>
      readSifName({ fileName, architectures, assumeTagsWithoutSeparator: true });
    expect(read("ubuntu-tools__22.04__fix__arm64.sif")).toEqual({
      kind: "branch",
      container: "ubuntu-tools",
      slugs: ["fix"],
    });
    expect(read("ubuntu-tools__22.04__amd64.sif")).toEqual({ kind: "prod", container: "ubuntu-tools" });
    expect(read("t__a__b__fix__amd64.sif")).toEqual({
      kind: "unrecognised",
      detail: "matches no spacktainers tag form",
    });
  });

  test("an architecture suffix is only stripped for architectures it knows", () => {
    expect(readSifName({ fileName: "app__1.0__fix-sparc.sif", architectures })).toEqual({
      kind: "branch",
      container: "app",
      slugs: ["fix-sparc"],
    });
    expect(
      readSifName({ fileName: "app__1.0__fix-sparc.sif", architectures: [...architectures, "sparc"] }),
    ).toEqual({ kind: "branch", container: "app", slugs: ["fix", "fix-sparc"] });
  });
});

const now = new Date("2026-03-01T12:00:00Z");
const old = Date.parse("2026-01-01T00:00:00Z");

function sifStorage(keys: Record<string, number>) {
  return createMemoryStorage({
    objects: new Map<string, MemoryObject>(
      Object.entries(keys).map(([key, lastModified]) => [key, { body: new Uint8Array(8), lastModified }]),
    ),
  });
}

const KEYS = {
  "app__1.0.sif": old,
  "app__1.0-arm64.sif": old,
  "app__1.0__feature-x.sif": old,
  "app__1.0__feature-x-arm64.sif": old,
  "app__1.0__gone.sif": old,
  "app__1.0__gone-arm64.sif": old,
  "app__1.0__fresh.sif": Date.parse("2026-03-01T11:30:00Z"),
  "tools__22.04__amd64.sif": old,
  "tools__22.04__gone__arm64.sif": old,
  "notes.txt": old,
};

describe("pruneSifs", () => {
  const run = (storage: MemoryStorage, extra: Partial<PruneSifsOptions> = {}) =>
    pruneSifs({
      targets: [{ bucket: "sif", prefix: "containers/", open: () => storage }],
      liveSlugs: ["main", "feature-x"],
      now,
      ...extra,
    });

  test("deletes only old Spack SIFs of gone branches; prod, custom, live and fresh SIFs stay", async () => {
    const storage = sifStorage(KEYS);
    const plan = await run(storage);
    expect(plan.toDelete.map((sif) => [sif.key, sif.branchSlug])).toEqual([
      ["containers/app__1.0__gone-arm64.sif", "gone"],
      ["containers/app__1.0__gone.sif", "gone"],
    ]);
    expect(
      Object.fromEntries(plan.kept.map((sif) => [sif.key.slice("containers/".length), sif.reason])),
    ).toEqual({
      "app__1.0.sif": "prod",
      "app__1.0-arm64.sif": "prod",
      // The original read `feature-x.sif` as the branch, found no such branch and deleted it.
      "app__1.0__feature-x.sif": "live-ref",
      "app__1.0__feature-x-arm64.sif": "live-ref",
      "app__1.0__fresh.sif": "recent",
      "tools__22.04__amd64.sif": "prod",
      "tools__22.04__gone__arm64.sif": "custom",
      "notes.txt": "unrecognised-name",
    });
    expect(plan.safety).toEqual({ sifs: 9, deleteFraction: 2 / 9, maxDeleteFraction: 0.5, exceeded: false });
    expect(storage.objects.size).toBe(10);
    expect(formatSifPrune(plan)).toEqual([
      "9 SIFs in s3://sif/containers/; 2 live branches and tags; would delete 2, kept 8 (3 prod, 1 custom, 2 live-ref, 1 recent, 1 unrecognised-name).",
      "  would delete: s3://sif/containers/app__1.0__gone-arm64.sif (branch gone is gone)",
      "  would delete: s3://sif/containers/app__1.0__gone.sif (branch gone is gone)",
      "Dry run: nothing deleted. Add --apply to delete.",
    ]);

    const applied = await run(storage, { apply: true });
    expect(applied.deleted).toEqual(plan.toDelete);
    expect([...storage.objects.keys()].filter((key) => key.includes("gone"))).toEqual([
      "tools__22.04__gone__arm64.sif",
    ]);
    expect((await run(storage, { apply: true })).toDelete).toEqual([]);
  });

  test("keepCustom false deletes a custom branch SIF only when its name is unambiguous", async () => {
    const storage = sifStorage(KEYS);
    const ambiguous = await run(storage, { keepCustom: false });
    expect(ambiguous.kept.find((sif) => sif.key.endsWith("tools__22.04__gone__arm64.sif"))?.reason).toBe(
      "ambiguous",
    );
    const assumed = await run(storage, { keepCustom: false, assumeTagsWithoutSeparator: true });
    expect(assumed.toDelete.map((sif) => sif.key)).toContain("containers/tools__22.04__gone__arm64.sif");
  });

  test("refuses an empty live list, and applying beyond maxDeleteFraction without force", async () => {
    const storage = sifStorage({ "a__1__gone.sif": old, "b__1__gone.sif": old, "c__1.sif": old });
    await expect(run(storage, { liveSlugs: [] })).rejects.toMatchObject({ code: "LIVE_BRANCHES_EMPTY" });
    await expect(run(storage, { apply: true })).rejects.toMatchObject({ code: "DELETE_FRACTION_EXCEEDED" });
    expect(storage.objects.size).toBe(3);
    const forced = await run(storage, { apply: true, force: true });
    expect(forced.deleted.map((sif) => sif.key)).toEqual([
      "containers/a__1__gone.sif",
      "containers/b__1__gone.sif",
    ]);
  });
});
