import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBin } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, git, readTree } from "./helpers/e2e-repo.js";

/**
 * Build caches are signed on protected refs only: GitLab hands protected variables to protected
 * refs only, so a branch pipeline that named the private key would either fail (protected key)
 * or let every branch read it (unprotected key).
 */

const NOW = "2026-01-31T12:00:00Z";
const CONFIG = "container_definitions/spacktainers.yaml";
let root: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ root, remove } = await createFixtureRepo());
});

afterAll(async () => {
  await remove?.();
});

/** `generate` as the generate job runs it on `ref` (offline: no registry or S3 needed). */
async function generate(ref: string, isProtected: boolean): Promise<Record<string, string>> {
  const result = await runBin("orchestrator", ["generate", "--root", root, "--out", "out", "--now", NOW], {
    cleanEnv: true,
    env: {
      CI_COMMIT_REF_NAME: ref,
      CI_DEFAULT_BRANCH: "main",
      CI_COMMIT_REF_PROTECTED: String(isProtected),
    },
  });
  expect(result.stderr).not.toContain("error");
  expect(result.code).toBe(0);
  return readTree(join(root, "out"));
}

/** The files of `tree` that contain `text`. */
function filesNaming(tree: Record<string, string>, text: string): string[] {
  return Object.keys(tree).filter((path) => tree[path]!.includes(text));
}

describe("signing the build cache", () => {
  it("an unprotected branch names no private key in any file and pushes unsigned", async () => {
    const tree = await generate("feature/unsigned", false);
    const environments = Object.keys(tree).filter((path) => path.endsWith("spack.yaml"));
    expect(environments.length).toBeGreaterThan(0);
    expect(filesNaming(tree, "SPACK_DEPLOYMENT_KEY_PRIVATE")).toEqual([]);
    expect(filesNaming(tree, "signed: false")).toEqual(environments);
  });

  it("the protected default branch signs with the configured name; renaming it renames it everywhere", async () => {
    const tree = await generate("main", true);
    const environments = Object.keys(tree).filter((path) => path.endsWith("spack.yaml"));
    expect(filesNaming(tree, 'spack gpg trust "$SPACK_DEPLOYMENT_KEY_PRIVATE"')).toEqual(environments);
    expect(filesNaming(tree, "signed: false")).toEqual([]);

    const config = await readFile(join(root, CONFIG), "utf8");
    await writeFile(
      join(root, CONFIG),
      config.replace("private_key_var: SPACK_DEPLOYMENT_KEY_PRIVATE", "private_key_var: SITE_SIGNING_KEY"),
    );
    await git(root, "commit", "-qam", "rename the signing key variable");
    const renamed = await generate("main", true);
    expect(filesNaming(renamed, "SPACK_DEPLOYMENT_KEY_PRIVATE")).toEqual([]);
    expect(filesNaming(renamed, 'spack gpg trust "$SITE_SIGNING_KEY"')).toEqual(environments);
  });
});
