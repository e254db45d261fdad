import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, join, posix, sep } from "node:path";
import type { ChecksumEntry, ContainerFile, Problem, SourceLocation } from "@spacktainers/core";
import { isInsideFolder as isInside, readChecksumEntries } from "@spacktainers/core/node";

/** The folder, relative to the repository root, that every copied file must come from. */
export const FILES_DIR = "files";

/** One `files:` entry as written, with where it was written. */
export type FilesEntry = {
  /** The entry, `"<source>:<target>"`. */
  text: string;
  /** Location of the list item. */
  location: SourceLocation;
};

export interface ResolveContainerFilesOptions {
  /** Absolute path of the repository root. */
  root: string;
  /** The entries of a `files:` list. */
  entries: readonly FilesEntry[];
}

const HINT =
  "write '<source>:<target>' with a source under files/ (relative to the repository root) and an absolute target, e.g. 'files/brayns/run.sh:/opt/brayns/run.sh'";

/** Reports a problem of the entry being checked, with the entry's location. */
type Report = (message: string, hint?: string) => void;

/**
 * Checks the target of an entry: an absolute, normalised path, written once (recorded in
 * `targets`). False when it is bad (reported).
 */
function checkTarget(
  text: string,
  target: string,
  location: SourceLocation,
  targets: Map<string, SourceLocation>,
  report: Report,
): boolean {
  if (!target.startsWith("/"))
    report(`files entry "${text}": target "${target}" is not an absolute path in the image`);
  else if (target.split("/").some((segment) => segment === ".." || segment === "."))
    report(`files entry "${text}": target "${target}" must not contain "." or ".." segments`);
  else if (targets.has(target))
    report(
      `files entry "${text}": target "${target}" is already written by the entry on line ${targets.get(target)!.line ?? "?"}`,
      "copy each target once",
    );
  else {
    targets.set(target, location);
    return true;
  }
  return false;
}

/**
 * The source of an entry, normalised (`./files/a/` → `files/a`), when its form is allowed:
 * relative, free of `..`, under `files/` and not `files/` itself. Undefined when not (reported).
 */
function checkSourceForm(
  text: string,
  rawSource: string,
  target: string,
  report: Report,
): string | undefined {
  const source = posix.normalize(rawSource.replace(/^(\.\/)+/, "")).replace(/\/+$/, "");
  if (rawSource === "") report(`files entry "${text}" has an empty source`);
  else if (rawSource.startsWith("/") || /^[A-Za-z]:[\\/]/.test(rawSource))
    report(
      `files entry "${text}": source "${rawSource}" is absolute; sources are relative to the repository root and lie under files/`,
    );
  else if (rawSource.split(/[\\/]/).includes(".."))
    report(`files entry "${text}": source "${rawSource}" contains ".."; sources must stay under files/`);
  else if (source === FILES_DIR)
    report(
      `files entry "${text}": source "${rawSource}" is the whole files/ folder`,
      "copy files/<container>/ or single files in it",
    );
  else if (!source.startsWith(`${FILES_DIR}/`))
    report(
      `files entry "${text}": source "${rawSource}" is not under files/`,
      `move the file to files/<container>/ and write e.g. 'files/${source.split("/").pop()}:${target || "/opt/file"}'`,
    );
  else return source;
  return undefined;
}

/**
 * The real path and kind of a source on disk, when it exists and stays inside `files/` once
 * symlinks are resolved — for a folder, every symlink in it too. Undefined when not (reported).
 */
async function inspectSource(
  text: string,
  source: string,
  root: string,
  filesRoot: string | undefined,
  report: Report,
): Promise<{ real: string; directory: boolean } | undefined> {
  const absolute = join(root, ...source.split("/"));
  try {
    await lstat(absolute);
  } catch {
    report(
      `files entry "${text}": source "${source}" does not exist`,
      `create ${source} in the repository, or fix the path (it is relative to the repository root)`,
    );
    return undefined;
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    report(
      `files entry "${text}": source "${source}" is ${(error as NodeJS.ErrnoException).code === "ELOOP" ? "a symlink loop" : "a symlink whose target does not exist"}`,
      "replace the symlink by the file itself",
    );
    return undefined;
  }
  if (!filesRoot || !isInside(real, filesRoot) || real === filesRoot) {
    report(
      `files entry "${text}": source "${source}" resolves to ${real === filesRoot ? "files/ itself" : "a path outside files/"} through a symlink`,
      "copy the file into files/<container>/ instead of linking to it",
    );
    return undefined;
  }
  const info = await stat(real);
  if (!info.isFile() && !info.isDirectory()) {
    report(`files entry "${text}": source "${source}" is neither a file nor a folder`);
    return undefined;
  }
  if (info.isDirectory()) {
    const { escaping, looping } = await findBadSymlinks(real, filesRoot);
    if (looping.length > 0)
      report(
        `files entry "${text}": folder "${source}" holds symlinks that loop back to a folder containing them: ${looping.map((path) => `${source}/${path}`).join(", ")}`,
        "remove those symlinks: copying or building the image would follow them without end",
      );
    if (escaping.length > 0)
      report(
        `files entry "${text}": folder "${source}" holds symlinks that leave files/ or dangle: ${escaping.map((path) => `${source}/${path}`).join(", ")}`,
        "replace those symlinks by the files themselves",
      );
    if (looping.length > 0 || escaping.length > 0) return undefined;
  }
  return { real, directory: info.isDirectory() };
}

/**
 * Checks the `files:` entries of a container and reads what they copy. A source must be
 * relative, free of `..`, under `files/`, exist, and stay inside `files/` once symlinks are
 * resolved (also for symlinks inside a copied folder, where a link back to the folder or one
 * of its parents — a loop — is refused too); a target must be an absolute, normalised
 * path, used once. Returns the files, the checksum entries of their content (folders
 * recursively) and a located problem for each bad entry.
 */
export async function resolveContainerFiles({ root, entries }: ResolveContainerFilesOptions): Promise<{
  files: ContainerFile[];
  checksumEntries: ChecksumEntry[];
  problems: Problem[];
}> {
  const files: ContainerFile[] = [];
  const checksumEntries: ChecksumEntry[] = [];
  const problems: Problem[] = [];
  const targets = new Map<string, SourceLocation>();
  const filesRoot = await realpath(join(root, FILES_DIR)).catch(() => undefined);
  for (const { text, location } of entries) {
    const report: Report = (message, hint = HINT) =>
      problems.push({ code: "FILES_ENTRY_INVALID", message, hint, ...location });
    const colon = text.indexOf(":");
    if (colon === -1) {
      report(`files entry "${text}" has no ":" between source and target`);
      continue;
    }
    const target = text.slice(colon + 1).trim();
    const targetFits = checkTarget(text, target, location, targets, report);
    const source = checkSourceForm(text, text.slice(0, colon).trim(), target, report);
    if (source === undefined) continue;
    const found = await inspectSource(text, source, root, filesRoot, report);
    if (!found || !targetFits) continue;
    files.push({ source, target, type: found.directory ? "directory" : "file", location });
    if (found.directory) checksumEntries.push(...(await readChecksumEntries(found.real, `${source}/`)));
    else checksumEntries.push({ path: source, bytes: await readFile(found.real) });
  }
  return { files, checksumEntries, problems };
}

/**
 * Relative paths of the symlinks under `dir` that dangle or resolve outside `filesRoot`
 * (`escaping`), and of those that loop: resolve to a folder that contains them (`loop -> .`,
 * `up -> ..`) or never resolve (`a -> b -> a`).
 */
async function findBadSymlinks(
  dir: string,
  filesRoot: string,
): Promise<{ escaping: string[]; looping: string[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const escaping: string[] = [];
  const looping: string[] = [];
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const path = join(entry.parentPath, entry.name);
    const relativePath = path
      .slice(dir.length + 1)
      .split(sep)
      .join("/");
    try {
      const target = await realpath(path);
      if (!isInside(target, filesRoot)) escaping.push(relativePath);
      else if (isInside(await realpath(dirname(path)), target)) looping.push(relativePath);
    } catch (error) {
      ((error as NodeJS.ErrnoException).code === "ELOOP" ? looping : escaping).push(relativePath);
    }
  }
  return { escaping: escaping.sort(), looping: looping.sort() };
}
