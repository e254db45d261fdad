import { describe, expect, test } from "vitest";
import { formatSifPrune, type PruneSifsOptions, pruneSifs } from "./prune-sifs.js";
import { createMemoryStorage, type MemoryObject, type MemoryStorage } from "./storage/memory-storage.js";

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
