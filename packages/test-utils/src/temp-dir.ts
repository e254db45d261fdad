import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { onTestFinished } from "vitest";

/** A file tree: relative path → content, or `{ symlink: target }`. */
export type FileTree = Record<string, string | Uint8Array | { symlink: string }>;

/** Writes a file tree under `root`. */
export async function writeTree(root: string, tree: FileTree): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    if (typeof content === "object" && content !== null && "symlink" in content)
      await symlink(content.symlink, full);
    else await writeFile(full, content as string | Uint8Array);
  }
}

/**
 * Creates a temp dir holding `tree`, removed when the current test finishes (call it inside a
 * test). Returns its absolute path.
 */
export async function useTempDir(tree: FileTree = {}, prefix = "spacktainers-"): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  await writeTree(root, tree);
  return root;
}

/** Creates a temp dir the caller removes (for beforeAll/globalSetup). */
export async function createTempDir(
  tree: FileTree = {},
  prefix = "spacktainers-",
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await writeTree(path, tree);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
