import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, onTestFinished, test } from "vitest";

// The root is no workspace package: it cannot import test-utils.
const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

const run = promisify(execFile);
const GIT = ["-c", "user.name=test", "-c", "user.email=test@example.org"];

/** A copy of the workspace's manifests (no sources: versioning and publishing read only these). */
async function copyWorkspace(root: string): Promise<void> {
  // patches/: pnpm-workspace.yaml's patchedDependencies name them, and an install needs them.
  for (const file of [
    "package.json",
    "pnpm-workspace.yaml",
    "pnpm-lock.yaml",
    ".changeset/config.json",
    "patches",
  ])
    await cp(join(REPO_ROOT, file), join(root, file), { recursive: true });
  for (const name of await readdir(join(REPO_ROOT, "packages"))) {
    const from = join(REPO_ROOT, "packages", name);
    await mkdir(join(root, "packages", name), { recursive: true });
    for (const entry of await readdir(from))
      if (entry === "package.json" || entry === "CHANGELOG.md" || entry === "bin")
        await cp(join(from, entry), join(root, "packages", name, entry), { recursive: true });
  }
}

test("pnpm release --dry-run versions from the pending changesets and dry-runs the publish of every public package", async () => {
  const root = await mkdtemp(join(tmpdir(), "spacktainers-release-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  await copyWorkspace(root);
  await writeFile(
    join(root, ".changeset/quiet-janitor.md"),
    '---\n"@spacktainers/cache-janitor": minor\n---\n\nThe janitor can be installed alone.\n',
  );
  await run("git", ["init", "-q", "-b", "main"], { cwd: root });
  await run("git", [...GIT, "add", "-A"], { cwd: root });
  await run("git", [...GIT, "commit", "-q", "--no-gpg-sign", "-m", "workspace"], { cwd: root });
  await run("pnpm", ["install", "--offline", "--frozen-lockfile", "--ignore-scripts", "--reporter=silent"], {
    cwd: root,
  });
  // The build is left out here: the pack-and-install test of cache-janitor proves the tarballs.
  const { stdout } = await run(
    "node",
    [join(REPO_ROOT, "scripts/release.mjs"), "--dry-run", "--skip-build"],
    {
      cwd: root,
      env: { ...process.env, NPM_TOKEN: "", RELEASE_GIT_TOKEN: "" },
    },
  );
  const manifest = (name: string) =>
    readFile(join(root, "packages", name, "package.json"), "utf8").then((text) => JSON.parse(text));
  const janitor = await manifest("cache-janitor");
  const orchestrator = await manifest("orchestrator");
  expect({
    janitor: janitor.version,
    orchestrator: orchestrator.version,
    // The dependent keeps its workspace range; pnpm turns it into ^<version> when it publishes.
    orchestratorDependsOn: orchestrator.dependencies["@spacktainers/cache-janitor"],
    changesets: (await readdir(join(root, ".changeset"))).sort(),
    published: stdout
      .split("\n")
      .filter((line) => line.startsWith("+ "))
      .sort(),
  }).toEqual({
    janitor: "0.2.0",
    orchestrator: "0.1.1",
    orchestratorDependsOn: "workspace:^",
    changesets: ["config.json"],
    published: [
      "+ @spacktainers/artifact-gatherer@0.1.0",
      "+ @spacktainers/cache-janitor@0.2.0",
      "+ @spacktainers/ci-splitter@0.1.0",
      "+ @spacktainers/core@0.1.0",
      "+ @spacktainers/definitions-parser@0.1.0",
      "+ @spacktainers/image-builder@0.1.0",
      "+ @spacktainers/orchestrator@0.1.1",
      "+ @spacktainers/spack-env-builder@0.1.0",
    ],
  });
  const changelog = await readFile(join(root, "packages/cache-janitor/CHANGELOG.md"), "utf8");
  expect(changelog.split("\n").slice(0, 8)).toEqual([
    "# @spacktainers/cache-janitor",
    "",
    "## 0.2.0",
    "",
    "### Minor Changes",
    "",
    expect.stringMatching(/^- [0-9a-f]{7}: The janitor can be installed alone\.$/),
    "",
  ]);
  // Dry run: nothing committed.
  const { stdout: log } = await run("git", ["log", "--oneline"], { cwd: root });
  expect(log.trim().split("\n")).toHaveLength(1);
});
