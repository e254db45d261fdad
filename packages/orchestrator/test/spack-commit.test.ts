import { join } from "node:path";
import { baseImageLabels, readCiContext, type SiteConfig } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { createRegistryClient, describeBaseImage } from "@spacktainers/image-builder";
import {
  createTempDir,
  type OciRegistry,
  pushTestImage,
  startOciRegistry,
  useTempDir,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { planBaseImages } from "../src/generate.js";
import { resolveSpackCommit } from "../src/resolve-spack-commit.js";
import { createFixtureRepo, git } from "./helpers/e2e-repo.js";

/** A Spack-like repository: branch develop (two commits), annotated tag v1.0.2 on the first. */
async function spackRepository(folder?: string): Promise<{ path: string; first: string; second: string }> {
  const path = folder ?? (await useTempDir());
  await git(path, "init", "--quiet", "--initial-branch=develop");
  await git(path, "commit", "--quiet", "--allow-empty", "-m", "one");
  await git(path, "tag", "-a", "v1.0.2", "-m", "release");
  const first = (await git(path, "rev-parse", "HEAD")).trim();
  await git(path, "commit", "--quiet", "--allow-empty", "-m", "two");
  const second = (await git(path, "rev-parse", "HEAD")).trim();
  return { path, first, second };
}

describe("resolveSpackCommit", () => {
  test("a branch, an annotated tag (peeled to its commit) and a full hash", async () => {
    const repo = await spackRepository();
    expect(await resolveSpackCommit({ repository: repo.path, ref: "develop" })).toBe(repo.second);
    expect(await resolveSpackCommit({ repository: repo.path, ref: "v1.0.2" })).toBe(repo.first);
    expect(await resolveSpackCommit({ repository: "/nowhere", ref: repo.first })).toBe(repo.first);
  });

  test("an unknown ref or an unreachable repository is a clear error", async () => {
    const repo = await spackRepository();
    await expect(resolveSpackCommit({ repository: repo.path, ref: "v9" })).rejects.toMatchObject({
      code: "SPACK_REF_UNRESOLVED",
      message: `${repo.path} has no branch or tag named v9`,
    });
    const missing = join(repo.path, "missing");
    await expect(resolveSpackCommit({ repository: missing, ref: "develop" })).rejects.toMatchObject({
      code: "SPACK_REF_UNRESOLVED",
      message: expect.stringContaining(`git ls-remote ${missing} failed:`),
    });
  });
});

describe("planBaseImages in CI", () => {
  let registry: OciRegistry;
  let root: string;
  let remove: () => Promise<void>;
  let config: SiteConfig;
  let repo: Awaited<ReturnType<typeof spackRepository>>;
  let removeRepo: () => Promise<void>;

  beforeAll(async () => {
    registry = await startOciRegistry();
    ({ root, remove } = await createFixtureRepo());
    const folder = await createTempDir();
    removeRepo = folder.remove;
    repo = await spackRepository(folder.path);
    const loaded = await loadDefinitions({ root });
    // The registry of the test stands in for CI_REGISTRY_IMAGE; spack.repository is the local one.
    config = {
      ...loaded.config!,
      registry: { ...loaded.config!.registry, image_prefix: `${registry.host}/group/project` },
      spack: { ...loaded.config!.spack, repository: repo.path, branch: "develop" },
    };
  }, 60_000);
  afterAll(async () => {
    await remove?.();
    await removeRepo?.();
    await registry?.stop();
  });

  const context = readCiContext({
    env: { CI: "true", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main" },
    now: new Date("2026-02-01T00:00:00Z"),
  });

  async function pushBuilder(spackCommit: string) {
    const base = await describeBaseImage({ root, name: "builder", config, isProd: true });
    await pushTestImage({
      registry: registry.host,
      repository: "group/project/builder",
      tag: base.tag,
      labels: baseImageLabels({
        name: "builder",
        labelPrefix: config.registry.label_prefix,
        checksum: base.checksum,
        spackCommit,
        versions: config.versions,
      }),
    });
  }

  async function builderPlan(spack: SiteConfig["spack"] = config.spack) {
    const client = createRegistryClient({ plainHttp: [registry.host] });
    try {
      const result = await planBaseImages({
        root,
        config: { ...config, spack },
        context,
        arches: ["amd64"],
        registry: client,
      });
      return { builder: result.plans.find((plan) => plan.name === "builder")!, result };
    } finally {
      await client.close();
    }
  }

  test("the builder is rebuilt from the new commit when spack.branch moved, kept when not", async () => {
    await pushBuilder(repo.first);
    const moved = await builderPlan();
    expect(moved.builder.spackCommit).toBe(repo.second);
    expect(moved.builder.decision.action).toBe("build");
    expect(moved.builder.decision.reason).toContain(`spack_commit is ${repo.first}, expected ${repo.second}`);
    const buildJob = Object.entries(moved.result.jobs.jobs).find(([name]) =>
      name.startsWith("build builder"),
    );
    expect(JSON.stringify(buildJob)).toContain(`SPACK_COMMIT=${repo.second}`);

    await pushBuilder(repo.second);
    const same = await builderPlan();
    expect(same.builder.decision).toMatchObject({ action: "skip" });
    expect(same.result.warnings).toEqual([]);
  }, 120_000);

  test("an unreachable Spack repository is a warning; the builder is then judged without its commit", async () => {
    const { builder, result } = await builderPlan({ ...config.spack, repository: join(repo.path, "gone") });
    expect(builder.spackCommit).toBeUndefined();
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: "SPACK_REF_UNRESOLVED",
        file: "container_definitions/spacktainers.yaml",
        message: expect.stringContaining("The builder is judged without its Spack commit."),
      }),
    ]);
  }, 60_000);
});
