import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createFileWriter } from "./create-file-writer.js";

function temporaryPath(path: string): string {
  return join(
    dirname(path),
    `.${path.split("/").pop()}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
}

/** Writes a file atomically: a temp file in the same folder, then a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = temporaryPath(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes several files so that either all of them land or none: every file is first written to
 * a temp file beside its destination, and only when all are written are they renamed in place.
 * `files` maps paths relative to `root` to their content.
 */
export async function writeFilesAtomic(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<string[]> {
  const staged: Array<{ temp: string; path: string }> = [];
  const write = createFileWriter();
  try {
    for (const [relative, data] of Object.entries(files)) {
      const path = resolve(root, relative);
      if (!path.startsWith(resolve(root) + "/"))
        throw new Error(`refusing to write outside ${root}: ${relative}`);
      await mkdir(dirname(path), { recursive: true });
      const temp = temporaryPath(path);
      staged.push({ temp, path });
      write(temp, data);
    }
  } catch (error) {
    await Promise.all(staged.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
  for (const { temp, path } of staged) await rename(temp, path);
  return staged.map(({ path }) => path);
}
