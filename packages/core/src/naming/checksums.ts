import { createHash } from "node:crypto";

/** sha256 of bytes or text (UTF-8), as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** One file that goes into a checksum: its path relative to the checksummed root, and its bytes. */
export type ChecksumEntry = {
  /** Relative path with `/` separators, e.g. `spack.yaml` or `files/brayns/config.json`. */
  path: string;
  /** The file's bytes. */
  bytes: Uint8Array;
};

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Checksum of a tree of files: sha256 over, for each file sorted by path (code-unit order, not
 * locale), the line `<path>\0<sha256 of bytes>\n`. Used for base-image folders and for
 * containers with more than one input. Renaming a file changes it; so does any byte.
 */
export function treeChecksum(entries: readonly ChecksumEntry[]): string {
  const sorted = [...entries].sort((a, b) => compareCodeUnits(a.path, b.path));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.path === sorted[i - 1]!.path)
      throw new Error(`treeChecksum: duplicate path ${sorted[i]!.path}`);
  }
  const hash = createHash("sha256");
  for (const entry of sorted) hash.update(`${entry.path}\0${sha256Hex(entry.bytes)}\n`);
  return hash.digest("hex");
}

/**
 * The container checksum: covers the definition file(s), the `Dockerfile.epilogue`
 * and the content of every copied file. A container whose only input is its definition file
 * gets the sha256 of that file, exactly as the original tool computed it, so images it built
 * are recognised as up to date; any extra input switches to {@link treeChecksum}.
 */
export function containerChecksum(entries: readonly ChecksumEntry[]): string {
  if (entries.length === 0) throw new Error("containerChecksum: no input files");
  if (entries.length === 1) return sha256Hex(entries[0]!.bytes);
  return treeChecksum(entries);
}

/** The lock checksum: sha256 of the `spack.lock` bytes as written by Spack. */
export function lockChecksum(lockBytes: Uint8Array | string): string {
  return sha256Hex(lockBytes);
}
