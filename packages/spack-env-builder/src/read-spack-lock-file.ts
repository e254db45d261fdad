import { readFile } from "node:fs/promises";
import { InputInvalidError, parseSpackLock, type SpackLock } from "@spacktainers/core";

export interface ReadSpackLockFileOptions {
  /** Path of `spack.lock` to read. */
  path: string;
  /** Path shown in messages; default `path`. */
  file?: string;
}

/**
 * Reads and parses a `spack.lock` (versions 4, 5, 6). A missing or unreadable file, bad JSON or
 * an unsupported version is an {@link InputInvalidError} (exit 2) with its location.
 */
export async function readSpackLockFile({ path, file = path }: ReadSpackLockFileOptions): Promise<SpackLock> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputInvalidError({
      code: "LOCK_UNREADABLE",
      cause: error,
      problems: [
        {
          code: "LOCK_UNREADABLE",
          message:
            code === "ENOENT"
              ? "the lockfile does not exist"
              : `the lockfile cannot be read (${code ?? (error as Error).message})`,
          hint: "give the spack.lock written by `spack concretize` for this container and architecture",
          file,
        },
      ],
    });
  }
  return parseSpackLock({ text, file });
}
