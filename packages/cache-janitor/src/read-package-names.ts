import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { InputInvalidError, type Problem } from "@spacktainers/core";

/** Python keywords: a package folder named after one gets a trailing `_` in package API v2. */
const PYTHON_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);

/**
 * Package name of a package folder. API v1 (`packages/<name>/`) uses the name as is; API v2
 * (`spack_repo/<ns>/packages/<dir>/`) makes it a Python module name: `-` → `_`, a leading `_`
 * before a digit, a trailing `_` after a keyword (Spack's `pkg_dir_to_pkg_name`).
 */
export function packageNameOfFolder(folder: string, api: "v1" | "v2"): string {
  if (api === "v1") return folder;
  let name = folder;
  if (/^_\d/.test(name)) name = name.slice(1);
  if (name.endsWith("_") && PYTHON_KEYWORDS.has(name.slice(0, -1))) name = name.slice(0, -1);
  return name.replace(/_/g, "-");
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function packagesIn(folder: string, api: "v1" | "v2"): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const hasRecipe = await stat(join(folder, entry.name, "package.py")).then(
      () => true,
      () => false,
    );
    if (hasRecipe) names.push(packageNameOfFolder(entry.name, api));
  }
  return names;
}

/** The package folders of a repo: `<repo>/packages` (API v1) and `<repo>/spack_repo/<ns>/packages` (API v2). */
async function repoPackageFolders(root: string): Promise<Array<{ folder: string; api: "v1" | "v2" }>> {
  const folders: Array<{ folder: string; api: "v1" | "v2" }> = [];
  if (await isDirectory(join(root, "packages"))) {
    const repoYaml = await readFile(join(root, "repo.yaml"), "utf8").catch(() => "");
    const api =
      /^\s*api:\s*["']?v2/m.test(repoYaml) || basename(join(root, "..")) === "spack_repo" ? "v2" : "v1";
    folders.push({ folder: join(root, "packages"), api });
  }
  if (await isDirectory(join(root, "spack_repo")))
    for (const namespace of await readdir(join(root, "spack_repo"), { withFileTypes: true }))
      if (
        namespace.isDirectory() &&
        (await isDirectory(join(root, "spack_repo", namespace.name, "packages")))
      )
        folders.push({ folder: join(root, "spack_repo", namespace.name, "packages"), api: "v2" });
  return folders;
}

/**
 * Package names that exist, from Spack package repos (folders) and name files (one name a line,
 * `#` comments allowed). An empty source is an error: it would make every spec "gone".
 */
export async function readPackageNames(sources: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  const problems: Problem[] = [];
  for (const source of sources) {
    const stats = await stat(source).catch((error: Error) => error);
    if (stats instanceof Error) {
      problems.push({ file: source, code: "PACKAGES_UNREADABLE", message: `cannot read: ${stats.message}` });
      continue;
    }
    let found: string[] = [];
    if (stats.isDirectory()) {
      for (const { folder, api } of await repoPackageFolders(source))
        found.push(...(await packagesIn(folder, api)));
    } else {
      const text = await readFile(source, "utf8");
      found = text
        .split("\n")
        .map((line) => line.replace(/#.*/, "").trim())
        .filter(Boolean);
    }
    if (found.length === 0)
      problems.push({
        file: source,
        code: "PACKAGES_EMPTY",
        message: stats.isDirectory()
          ? "no package found; expected packages/<name>/package.py or spack_repo/<namespace>/packages/<name>/package.py."
          : "the file lists no package name.",
        hint: "an empty package list would delete every spec; point --packages-from at the package repository",
      });
    for (const name of found) names.add(name);
  }
  if (problems.length > 0) throw new InputInvalidError({ problems, code: "PACKAGES_INVALID" });
  return names;
}
