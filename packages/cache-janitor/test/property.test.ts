import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { applyPrune, createMemoryStorage, planPrune, type SpackDatabase } from "../src/index.js";
import { NOW } from "./helpers.js";
import { createRandom, generateV2Cache } from "./synthetic-cache.js";

const RUNS = 40;

describe("property: random caches and protected lockfiles", () => {
  it(`never deletes a protected spec, leaves an index that matches the objects, and is idempotent (${RUNS} random caches)`, async () => {
    const dir = await useTempDir();
    for (let seed = 1; seed <= RUNS; seed++) {
      const random = createRandom(seed * 7919);
      const { objects, specs } = generateV2Cache({
        specs: 20 + Math.floor(random() * 60),
        seed,
        now: NOW,
        ageDays: 200,
      });
      // Orphans: drop a few tarballs and spec files.
      for (const spec of specs) {
        const roll = random();
        if (roll < 0.05) objects.delete(spec.tarballKey);
        else if (roll < 0.08) objects.delete(spec.specKey);
      }
      // A protected lockfile with a few roots: either complete, as real locks are (every node
      // with its dependencies), or with the roots alone (then the index supplies the closure).
      const byHash = new Map(specs.map((spec) => [spec.hash, spec]));
      const roots = specs.filter(() => random() < 0.1);
      const complete = random() < 0.5;
      const inLock = new Set<string>();
      const pending = roots.map((spec) => spec.hash);
      while (pending.length) {
        const hash = pending.pop()!;
        if (inLock.has(hash)) continue;
        inLock.add(hash);
        if (complete) pending.push(...byHash.get(hash)!.dependencies);
      }
      const lock = {
        _meta: { "file-type": "spack-lockfile", "lockfile-version": 5, "specfile-version": 4 },
        roots: roots.map((spec) => ({ hash: spec.hash, spec: spec.name })),
        concrete_specs: Object.fromEntries(
          [...inLock].map((hash) => {
            const spec = byHash.get(hash)!;
            const dependencies = spec.dependencies.map((dependency) => ({
              name: byHash.get(dependency)!.name,
              hash: dependency,
              parameters: { deptypes: ["build", "link"], virtuals: [] },
            }));
            return [
              hash,
              {
                name: spec.name,
                version: spec.version,
                arch: { platform: "linux", platform_os: "ubuntu22.04", target: "x86_64_v3" },
                compiler: { name: "gcc", version: "12.2.0" },
                ...(complete && dependencies.length ? { dependencies } : {}),
                hash,
              },
            ];
          }),
        ),
      };
      const lockFile = join(dir, `spack-${seed}.lock`);
      await writeFile(lockFile, JSON.stringify(lock));
      const names = join(dir, `names-${seed}.txt`);
      const allNames = [...new Set(specs.map((spec) => spec.name))];
      await writeFile(names, allNames.filter(() => random() < 0.8).join("\n") || allNames[0]!);
      const options = {
        cache: createMemoryStorage({ objects }),
        now: NOW,
        maxAgeDays: 60 + Math.floor(random() * 120),
        packagesFrom: [names],
        cascade: random() < 0.7,
        keepLocks: [lockFile],
        force: true,
        retryDelayMs: 1,
      };
      const keysBefore = new Set(objects.keys());
      const result = await applyPrune(options);

      // 1. Protection: every root and everything it depends on keeps all its objects.
      const protectedHashes = new Set<string>();
      const stack = roots.map((spec) => spec.hash);
      while (stack.length) {
        const hash = stack.pop()!;
        if (protectedHashes.has(hash)) continue;
        protectedHashes.add(hash);
        stack.push(...byHash.get(hash)!.dependencies);
      }
      const deleted = new Set(result.deleted);
      const protectedDeleted = [...protectedHashes].flatMap((hash) =>
        [byHash.get(hash)!.specKey, byHash.get(hash)!.tarballKey].filter((key) => deleted.has(key)),
      );
      expect({ seed, protectedDeleted }).toEqual({ seed, protectedDeleted: [] });
      expect(result.failed).toEqual([]);
      expect([...objects.keys()].sort()).toEqual([...keysBefore].filter((key) => !deleted.has(key)).sort());

      // 2. The index lists, as in the cache, exactly the specs whose spec file is still there.
      const index = JSON.parse(
        new TextDecoder().decode(objects.get("build_cache/index.json")!.body),
      ) as SpackDatabase;
      const listed = Object.entries(index.database.installs)
        .filter(([, record]) => record.in_buildcache)
        .map(([hash]) => hash)
        .sort();
      const present = specs
        .filter((spec) => objects.has(spec.specKey))
        .map((spec) => spec.hash)
        .sort();
      const indexedBefore = specs.filter((spec) => keysBefore.has(spec.specKey)).map((spec) => spec.hash);
      expect({ seed, listed }).toEqual({
        seed,
        listed: present.filter((hash) => indexedBefore.includes(hash)),
      });

      // 3. With cascade, no remaining spec depends on a spec a rule deleted.
      if (options.cascade) {
        const ruleDeleted = new Set(
          result.plan.deletions
            .filter((deletion) => !deletion.reason.startsWith("orphan"))
            .map((deletion) => deletion.hash),
        );
        const broken = specs.filter(
          (spec) => objects.has(spec.specKey) && spec.dependencies.some((hash) => ruleDeleted.has(hash)),
        );
        expect({ seed, broken }).toEqual({ seed, broken: [] });
      }

      // 4. Idempotent: the same run again deletes nothing and writes nothing.
      const again = await planPrune({ ...options, cache: createMemoryStorage({ objects }) });
      expect({ seed, deletions: again.deletions }).toEqual({ seed, deletions: [] });
    }
  });
});
