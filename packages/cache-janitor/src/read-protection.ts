import { readFile } from "node:fs/promises";
import { InputInvalidError, type Problem, parseSpackLock, type SpackLock } from "@spacktainers/core";

/** Hashes a run must never delete, with where each came from. */
export type Protection = {
  /** Protected hashes (before the dependency closure over the index). */
  hashes: Set<string>;
  /** Dependencies the lockfiles themselves declare (hash → dependency hashes). */
  dependencies: Map<string, string[]>;
  /** Files read, for the report. */
  sources: Array<{ file: string; hashes: number }>;
};

export interface ReadProtectionOptions {
  /** Spack environment lockfiles (`spack.lock`, lockfile-version 4, 5 or 6; parsed by core's `parseSpackLock`). */
  keepLocks?: readonly string[];
  /** Keeplist files: one spec hash per line (`#` comments, blank lines and a leading `/` allowed). */
  keeplists?: readonly string[];
  /** Hashes given directly. */
  keepHashes?: readonly string[];
}

const HASH = /^[a-z2-7]{32}$/;

/** The text of `file`, or undefined with its problem added when it cannot be read. */
async function readOrReport(
  file: string,
  { code, what }: { code: "LOCK_UNREADABLE" | "KEEPLIST_UNREADABLE"; what: string },
  problems: Problem[],
): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    problems.push({ file, code, message: `cannot read ${what}: ${(error as Error).message}` });
    return undefined;
  }
}

/** Reads the lockfiles and keeplists; every problem of every file is reported at once. */
export async function readProtection(options: ReadProtectionOptions): Promise<Protection> {
  const protection: Protection = { hashes: new Set(), dependencies: new Map(), sources: [] };
  const problems: Problem[] = [];
  for (const hash of options.keepHashes ?? []) {
    if (HASH.test(hash)) protection.hashes.add(hash);
    else
      problems.push({
        file: "--keep-hash",
        code: "HASH_INVALID",
        message: `"${hash}" is not a Spack hash (32 characters a-z, 2-7).`,
      });
  }
  for (const file of options.keepLocks ?? []) {
    const text = await readOrReport(file, { code: "LOCK_UNREADABLE", what: "the lockfile" }, problems);
    if (text === undefined) continue;
    let lock: SpackLock;
    try {
      lock = parseSpackLock({ text, file });
    } catch (error) {
      if (!InputInvalidError.isInstance(error)) throw error;
      problems.push(...error.problems);
      continue;
    }
    let count = 0;
    for (const spec of Object.values(lock.specs)) {
      protection.hashes.add(spec.hash);
      count++;
      if (spec.dependencies.length > 0)
        protection.dependencies.set(
          spec.hash,
          spec.dependencies.map((dependency) => dependency.hash),
        );
    }
    protection.sources.push({ file, hashes: count });
  }
  for (const file of options.keeplists ?? []) {
    const text = await readOrReport(file, { code: "KEEPLIST_UNREADABLE", what: "the keeplist" }, problems);
    if (text === undefined) continue;
    let count = 0;
    for (const [index, raw] of text.split("\n").entries()) {
      const line = raw.replace(/#.*/, "").trim();
      if (line === "") continue;
      for (const word of line.split(/\s+/)) {
        const hash = word.replace(/^\//, "");
        if (HASH.test(hash)) {
          protection.hashes.add(hash);
          count++;
        } else
          problems.push({
            file,
            line: index + 1,
            col: raw.indexOf(word) + 1,
            code: "KEEPLIST_INVALID",
            message: `"${word}" is not a Spack hash (32 characters a-z, 2-7).`,
          });
      }
    }
    protection.sources.push({ file, hashes: count });
  }
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "PROTECTION_INVALID" });
  return protection;
}
