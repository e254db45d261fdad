import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import {
  applyPrune,
  createMemoryStorage,
  formatPythonJson,
  type MemoryObject,
  PYTHON_COMPACT,
} from "../src/index.js";
import { fixturePath } from "./fixture-cache.js";
import { NOW } from "./helpers.js";

/**
 * The original spackitor's test scenarios, re-expressed: its cache held the four specs of its
 * test lockfile; "present"/"absent" is whether the package is still in the package repository,
 * "new_enough"/"too_old" whether the spec is younger than the age limit.
 */
const LOCK = fixturePath("locks/spackitor-tests.spack.lock");
type LockSpec = {
  name: string;
  version: string;
  arch: { platform: string; platform_os: string; target: string };
  compiler: { name: string; version: string };
  hash: string;
};
const lockSpecs = Object.values(
  (JSON.parse(readFileSync(LOCK, "utf8")) as { concrete_specs: Record<string, LockSpec> }).concrete_specs,
);

function spackitorCache() {
  const objects = new Map<string, MemoryObject>();
  const encoder = new TextEncoder();
  const installs: Record<string, unknown> = {};
  for (const spec of lockSpecs) {
    const arch = `${spec.arch.platform}-${spec.arch.platform_os}-${spec.arch.target}`;
    const compiler = `${spec.compiler.name}-${spec.compiler.version}`;
    const stem = `${arch}-${compiler}-${spec.name}-${spec.version}-${spec.hash}`;
    const days = spec.name.endsWith("too_old") ? 400 : 10;
    const lastModified = NOW.getTime() - days * 86_400_000;
    objects.set(`build_cache/${stem}.spec.json`, {
      body: encoder.encode(JSON.stringify({ spec })),
      lastModified,
    });
    objects.set(`build_cache/${arch}/${compiler}/${spec.name}-${spec.version}/${stem}.spack`, {
      body: encoder.encode("tarball"),
      lastModified,
    });
    installs[spec.hash] = { spec, ref_count: 0, in_buildcache: true };
  }
  const index = formatPythonJson({ database: { version: "7", installs } }, PYTHON_COMPACT);
  objects.set("build_cache/index.json", { body: encoder.encode(index), lastModified: NOW.getTime() });
  // Spack writes the hash with the index (a missing one is repaired by --apply).
  objects.set("build_cache/index.json.hash", {
    body: encoder.encode(createHash("sha256").update(index).digest("hex")),
    lastModified: NOW.getTime(),
  });
  return createMemoryStorage({ objects });
}

const packagesFile = async () => {
  const dir = await useTempDir({ "packages.txt": "present_new_enough\npresent_too_old\n" });
  return join(dir, "packages.txt");
};

describe("the original spackitor's scenarios", () => {
  it("keeps present_new_enough and deletes the absent and the too old, as the original did", async () => {
    const result = await applyPrune({
      cache: spackitorCache(),
      now: NOW,
      maxAgeDays: 365,
      packagesFrom: [await packagesFile()],
      force: true,
    });
    expect(
      result.plan.deletions
        .filter((deletion) => deletion.key.endsWith(".spec.json"))
        .map((deletion) => `${deletion.reason} ${deletion.spec}`),
    ).toEqual([
      "package-gone absent_new_enough@4.5.6/rexlp3wrtheojr4o3dsa5lcctgixpa6x",
      "max-age absent_too_old@4.3.1-4.3.4/ydl77hkfdl6w4tuwv5wznvbxmf6uvvra",
      "max-age present_too_old@1.4.3/xi6262rcvjhsobjid63toj7nwvjlj6x5",
    ]);
    expect(result.index).toMatchObject({ status: "rewritten", removedSpecs: 3 });
  });

  it("differs where the original was wrong: specs of a protected lockfile survive a renamed package and their age", async () => {
    // The original deleted every spec whose package it could not find, even when an environment
    // still in use listed it (a renamed package), and it never updated the index.
    const result = await applyPrune({
      cache: spackitorCache(),
      now: NOW,
      maxAgeDays: 365,
      packagesFrom: [await packagesFile()],
      keepLocks: [LOCK],
    });
    expect([
      result.deleted,
      result.plan.protected.map((kept) => `${kept.wouldBe} ${kept.spec}`),
      result.index,
    ]).toEqual([
      [],
      [
        "package-gone absent_new_enough@4.5.6/rexlp3wrtheojr4o3dsa5lcctgixpa6x",
        "max-age present_too_old@1.4.3/xi6262rcvjhsobjid63toj7nwvjlj6x5",
        "max-age absent_too_old@4.3.1-4.3.4/ydl77hkfdl6w4tuwv5wznvbxmf6uvvra",
      ],
      { status: "unchanged" },
    ]);
  });
});
