import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { naturalCompare, SpacktainersError } from "@spacktainers/core";
import * as yauzl from "yauzl";

/** A file written by an extraction. */
export type ExtractedFile = {
  /** Path relative to the extraction folder, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
};

export interface ExtractZipSafelyOptions {
  /** The ZIP archive. */
  archive: string;
  /** Folder the entries land in (created). */
  directory: string;
  /** Cap on the sum of uncompressed sizes (zip-bomb guard). */
  maxBytes: number;
  /** Cap on the number of entries (default 100,000). */
  maxEntries?: number;
  /** How to name the archive in messages (e.g. `job "build" (1234)`). */
  label?: string;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

// `getFileNameLowLevel` is exported by yauzl 3 but missing from @types/yauzl 2.
const getFileNameLowLevel = (
  yauzl as unknown as {
    getFileNameLowLevel(flag: number, name: Buffer, extraFields: unknown[], strict: boolean): string;
  }
).getFileNameLowLevel;

type Checked = { entry: yauzl.Entry; name: string; isDirectory: boolean; mode: number };

/** A failed write, named by the archive entry rather than the staging path it was written to. */
function entryError(label: string, name: string, error: unknown): SpacktainersError {
  if (SpacktainersError.isInstance(error)) return error;
  return new SpacktainersError({
    code: "ARTIFACT_ARCHIVE_INVALID",
    message: `cannot extract the entry ${JSON.stringify(name)} of the artifacts of ${label}: ${describeWriteError(error)}; nothing was kept`,
    cause: error,
  });
}

function openZip(archive: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      archive,
      // decodeStrings off: yauzl would stop at the first bad name; we want every problem at once.
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (error, zip) => (error ? reject(error) : resolve(zip)),
    ),
  );
}

function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on("entry", (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", reject);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
}

/** Longest file name (one path segment) Linux file systems accept, in bytes (NAME_MAX). */
const NAME_MAX = 255;
/** Longest path the kernel accepts, in bytes (PATH_MAX), the target folder included. */
const PATH_MAX = 4096;

/** Why an entry name is unsafe, or undefined when it is fine. */
function unsafeName(name: string): string | undefined {
  if (name === "" || name === "/") return "empty name";
  if (name.includes("\0")) return "NUL byte in name";
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) return "absolute path";
  if (name.split("/").includes("..")) return "'..' would escape the target folder";
  const long = name.split("/").find((segment) => Buffer.byteLength(segment) > NAME_MAX);
  if (long !== undefined)
    return `a name of ${Buffer.byteLength(long)} bytes, longer than the ${NAME_MAX} a file system accepts`;
  return undefined;
}

/**
 * Entries that cannot all be written: a file whose name another entry needs as a folder
 * (`a` and `a/b`). Returns one message per such file.
 */
function clashingEntries(checked: readonly Checked[]): string[] {
  const folders = new Map<string, string>();
  for (const { name } of checked) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      if (!folders.has(folder)) folders.set(folder, name);
    }
  }
  return checked
    .filter(({ name, isDirectory }) => !isDirectory && folders.has(name))
    .map(
      ({ name }) =>
        `${JSON.stringify(name)}: a file, but the entry ${JSON.stringify(folders.get(name))} needs a folder of that name`,
    );
}

/** A write error in words, without the internal path Node puts in its message. */
function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EEXIST":
    case "ENOTDIR":
    case "EISDIR":
      return "a file and a folder of the same name clash";
    case "ENAMETOOLONG":
      return "the name is too long for the file system";
    case "ENOSPC":
      return "the disk is full";
    case "EACCES":
    case "EPERM":
      return "permission denied in the target folder";
    default:
      return code ?? (error as Error).message;
  }
}

/**
 * Extracts a ZIP archive so that nothing lands outside `directory`: every entry is checked
 * before anything is written — no `..`, no absolute path, no symlink or device, no duplicate,
 * sum of sizes under `maxBytes` — and all problems are reported together (zip-slip and
 * zip-bomb guard). yauzl checks each entry's real size against the declared one while reading.
 */
export async function extractZipSafely(options: ExtractZipSafelyOptions): Promise<ExtractedFile[]> {
  const { archive, directory, maxBytes, maxEntries = 100_000 } = options;
  const label = options.label ?? archive;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(archive);
  } catch (error) {
    throw new SpacktainersError({
      code: "ARTIFACT_ARCHIVE_INVALID",
      message: `artifacts of ${label} are not a readable ZIP archive: ${(error as Error).message}`,
      cause: error,
    });
  }
  try {
    if (zip.entryCount > maxEntries)
      throw new SpacktainersError({
        code: "ARTIFACT_ARCHIVE_UNSAFE",
        message: `artifacts of ${label} hold ${zip.entryCount} entries, more than the cap of ${maxEntries}.`,
      });
    const entries = await readEntries(zip);
    const problems: string[] = [];
    const checked: Checked[] = [];
    const names = new Set<string>();
    let total = 0;
    for (const entry of entries) {
      const name = getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileName as unknown as Buffer,
        entry.extraFields,
        false,
      );
      const normalized = name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
      const mode = (entry.externalFileAttributes >>> 16) & 0o7777;
      const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const isDirectory = name.endsWith("/") || type === S_IFDIR;
      const reason =
        unsafeName(name) ??
        (type === S_IFLNK
          ? "symbolic link"
          : type !== 0 && type !== S_IFREG && type !== S_IFDIR
            ? `special file (mode ${type.toString(8)})`
            : names.has(normalized)
              ? "duplicate entry"
              : undefined);
      if (reason) {
        problems.push(`${JSON.stringify(name)}: ${reason}`);
        continue;
      }
      names.add(normalized);
      total += entry.uncompressedSize;
      if (normalized !== "" && normalized !== ".")
        checked.push({ entry, name: normalized, isDirectory, mode });
    }
    problems.push(...clashingEntries(checked));
    const tooLong = checked.find(({ name }) => Buffer.byteLength(join(directory, name)) >= PATH_MAX);
    if (tooLong)
      problems.push(
        `${JSON.stringify(tooLong.name)}: the path would be longer than the ${PATH_MAX} bytes a file system accepts`,
      );
    if (total > maxBytes)
      problems.push(`entries total ${total} bytes uncompressed, more than the cap of ${maxBytes} bytes`);
    if (problems.length > 0)
      throw new SpacktainersError({
        code: "ARTIFACT_ARCHIVE_UNSAFE",
        message: `refusing to extract the artifacts of ${label}; nothing was written:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        // The archive is input this run cannot use: like every bad input, exit 2.
        exitCode: 2,
      });

    const files: ExtractedFile[] = [];
    await mkdir(directory, { recursive: true });
    for (const { entry, name, isDirectory, mode } of checked) {
      const target = join(directory, name);
      try {
        if (isDirectory) {
          await mkdir(target, { recursive: true });
          continue;
        }
        await mkdir(dirname(target), { recursive: true });
      } catch (error) {
        throw entryError(label, name, error);
      }
      const hash = createHash("sha256");
      let bytes = 0;
      await pipeline(
        await openEntry(zip, entry),
        async function* count(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(target, { flags: "wx" }),
      ).catch((error: unknown) => {
        throw entryError(label, name, error);
      });
      // Keep the executable bit of scripts; never setuid/setgid/sticky.
      if (mode & 0o111) await chmod(target, 0o755);
      files.push({ path: name, bytes, sha256: hash.digest("hex") });
    }
    return files.sort((a, b) => naturalCompare(a.path, b.path));
  } catch (error) {
    if (SpacktainersError.isInstance(error)) throw error;
    throw new SpacktainersError({
      code: "ARTIFACT_ARCHIVE_INVALID",
      message: `cannot extract the artifacts of ${label}: ${(error as Error).message}`,
      cause: error,
    });
  } finally {
    zip.close();
  }
}
