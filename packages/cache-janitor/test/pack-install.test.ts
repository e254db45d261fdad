import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, runBin, useTempDir } from "@spacktainers/test-utils";
import { expect, test } from "vitest";
import { writeFixtureCache } from "./fixture-cache.js";

const run = promisify(execFile);

/** Workspace packages the janitor needs, found from the `workspace:` dependencies, janitor first. */
async function workspaceClosure(name: string): Promise<Array<{ name: string; dir: string }>> {
  const dirs = new Map<string, string>();
  for (const entry of await readdir(join(REPO_ROOT, "packages"))) {
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, "packages", entry, "package.json"), "utf8"));
    dirs.set(manifest.name, join(REPO_ROOT, "packages", entry));
  }
  const found: Array<{ name: string; dir: string }> = [];
  const visit = async (packageName: string) => {
    if (found.some((p) => p.name === packageName)) return;
    const dir = dirs.get(packageName)!;
    found.push({ name: packageName, dir });
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    for (const [dependency, range] of Object.entries<string>(manifest.dependencies ?? {}))
      if (range.startsWith("workspace:")) await visit(dependency);
  };
  await visit(name);
  return found;
}

// What another team does: install the published janitor alone, with npm, into an empty project.
// The tarballs are what `pnpm publish` uploads (`pnpm pack` turns workspace:^ into versions);
// their external dependencies come from the npm registry.
test("the packed janitor installs alone with npm and its bin plans a cache folder like the source does", async () => {
  const packages = await workspaceClosure("@spacktainers/cache-janitor");
  expect(packages.map((p) => p.name)).toEqual(["@spacktainers/cache-janitor", "@spacktainers/core"]);
  // Build what gets packed: the tarball holds dist/, never a stale one.
  await run(
    "pnpm",
    ["exec", "turbo", "run", "build", "--output-logs=errors-only", "--filter=@spacktainers/cache-janitor..."],
    { cwd: REPO_ROOT },
  );
  const tarballs = await useTempDir();
  for (const { dir } of packages) await run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir });
  const files = (await readdir(tarballs)).sort();
  expect(files).toEqual(["spacktainers-cache-janitor-0.1.0.tgz", "spacktainers-core-0.1.0.tgz"].sort());

  const project = await useTempDir({
    "package.json": JSON.stringify({ name: "janitor-user", private: true }),
  });
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...files.map((file) => join(tarballs, file))],
    { cwd: project, timeout: 300_000 },
  );
  const installed = JSON.parse(
    await readFile(join(project, "node_modules/@spacktainers/cache-janitor/package.json"), "utf8"),
  );
  // pnpm pack wrote a real range for the workspace dependency.
  expect(installed.dependencies["@spacktainers/core"]).toBe("^0.1.0");

  const cache = await useTempDir();
  await writeFixtureCache("v3-1.0-unsigned", cache);
  const args = ["plan", "--cache", cache, "--max-age", "30", "--now", "2026-06-01T00:00:00Z", "--json"];
  const packed = await run(join(project, "node_modules/.bin/spacktainers-janitor"), args, {
    cwd: project,
    env: { PATH: process.env.PATH, HOME: project },
  });
  const source = await runBin("cache-janitor", args, { cleanEnv: true });
  expect(source.code).toBe(0);
  const plan = JSON.parse(packed.stdout);
  expect(plan).toEqual(JSON.parse(source.stdout));
  expect({ inventory: plan.inventory, deletions: plan.deletions.length }).toEqual({
    inventory: { objects: 19, bytes: 9755835, specs: 5, indexedSpecs: 5 },
    deletions: 16,
  });
}, 600_000);
