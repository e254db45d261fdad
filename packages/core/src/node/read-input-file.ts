import { lstat, open, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { formatBytes } from "../config/input-limits.js";
import type { Problem } from "../errors/spacktainers-error.js";

export interface ReadInputFileOptions {
  /** Repository root, absolute. The file must resolve inside it. */
  root: string;
  /** The file, relative to `root` with `/` separators; also how messages name it. */
  path: string;
  /** Largest size read, in bytes (see `INPUT_LIMITS`). */
  maxBytes: number;
  /** Refuse content that is not UTF-8 text (a NUL byte or an invalid sequence). */
  text?: boolean;
  /** What the file is, for messages: "definition", "site configuration", … */
  what: string;
}

/** What {@link readInputFile} found. */
export type ReadInputFileResult =
  | { status: "read"; bytes: Buffer; text: string }
  | { status: "missing" }
  | { status: "refused"; problem: Problem };

/** True when `child` is `parent` or lies under it. */
export function isInsideFolder(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/**
 * Reads one input file of a repository the way every bin must: symlinks are resolved, and a
 * symlink loop, a dangling link, a link leading outside the repository, a folder or a special
 * file (a FIFO would block the read forever), a file over `maxBytes` and, with `text`, content
 * that is not text each become one located problem. Nothing outside the repository is ever
 * read, so no message can echo it. A missing file is `missing`, for the caller to judge.
 */
export async function readInputFile({
  root,
  path,
  maxBytes,
  text = false,
  what,
}: ReadInputFileOptions): Promise<ReadInputFileResult> {
  const refuse = (message: string, hint?: string): ReadInputFileResult => ({
    status: "refused",
    problem: {
      code: "INPUT_FILE_REFUSED",
      message: `this ${what} ${message}`,
      file: path,
      ...(hint ? { hint } : {}),
    },
  });
  const absolute = join(root, ...path.split("/"));
  const hint = "replace the symlink by the file itself";
  try {
    await lstat(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      return refuse("lies in a folder that is a symlink loop (it leads back to itself)", hint);
    if (code === "ENOENT" || code === "ENOTDIR") return { status: "missing" };
    throw error;
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP") return refuse("is a symlink loop (it leads back to itself)", hint);
    if (code === "ENOENT") return refuse("is a symlink whose target does not exist", hint);
    throw error;
  }
  const realRoot = await realpath(root);
  if (!isInsideFolder(real, realRoot))
    return refuse(
      "is a symlink to a file outside the repository, which is not read",
      "keep every input inside the repository: copy the file in instead of linking to it",
    );
  const info = await stat(real);
  if (info.isDirectory()) return refuse("is a folder, not a file");
  if (!info.isFile()) return refuse("is not a regular file (a device, socket or pipe)");
  if (info.size > maxBytes)
    return refuse(
      `is ${formatBytes(info.size)}, over the limit of ${formatBytes(maxBytes)} for a ${what}`,
      "a real one is a few kilobytes: check that the right file is in place",
    );
  // Read at most maxBytes + 1 through one handle: the file may grow between stat and read.
  const handle = await open(real, "r");
  let bytes: Buffer;
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return refuse(`is over the limit of ${formatBytes(maxBytes)} for a ${what}`);
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (!text) return { status: "read", bytes, text: bytes.toString("utf8") };
  const nul = bytes.indexOf(0);
  let decoded: string | undefined;
  try {
    decoded = nul === -1 ? new TextDecoder("utf-8", { fatal: true }).decode(bytes) : undefined;
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined)
    return refuse(
      `is not text (${nul === -1 ? "it is not valid UTF-8" : `it holds a NUL byte at offset ${nul}`}); it looks like a binary file`,
      "save it as UTF-8 text",
    );
  return { status: "read", bytes, text: decoded.replace(/^\uFEFF/, "") };
}
