import { chmod, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import {
  JOB_NAMES,
  readCiContext,
  renderPipelineYaml,
  type SiteConfig,
  siteSifRecordFileName,
} from "@spacktainers/core";
import { uploadSif } from "@spacktainers/image-builder";
import { type GitlabApiDouble, type S3Server, startS3Server } from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildParentPipeline } from "../src/build-parent-pipeline.js";
import { syncSiteSifs } from "../src/sync-site-sifs.js";
import { binCommand, createFixtureRepo, git, runGitlabCiLocal } from "./helpers/e2e-repo.js";
import { type GitlabUnderTest, siteConfigFrom, startGitlab } from "./helpers/site-services.js";

/**
 * The site copy of the SIFs (`sif_deploy`): restored from the buckets when missing or outdated
 * (object metadata against the record kept beside the copy), deleted branches' SIFs removed —
 * against s3rver, the GitLab API double's repository/branches and a real folder; and the
 * parent pipeline's job run by gitlab-ci-local.
 */

let api: GitlabUnderTest;
let double: GitlabApiDouble;
let gitlab: GitlabClient;
let s3: S3Server;
let work: string;
let site: string;

function configText(directory: string): string {
  const arch = (name: string, target: string) => `
  ${name}:
    runner_tags: [${name}]
    spack_requirement: target=${target}
    cache_bucket: { name: cache, credentials: { access_key_var: C_KEY, secret_key_var: C_SECRET } }
    containers_bucket:
      name: sif
      prod_name: sif-prod
      endpoint: ${s3.endpoint}
      prefix: containers/
      credentials: { access_key_var: SIF_KEY, secret_key_var: SIF_SECRET }`;
  return `architectures:${arch("amd64", "x86_64_v3")}${arch("arm64", "neoverse_v1")}
sif_deploy:
  runner_tags: [site]
  directory: ${directory}
spack: { repository: "https://github.com/spack/spack.git", branch: v1.0.2, template: { spack: { specs: [] } } }
`;
}

/** Uploads a SIF with its metadata the way the SIF job does (`uploadSif`). */
async function upload(bucket: string, key: string, body: string, metadata: Record<string, string>) {
  const file = join(work, "upload.sif");
  await writeFile(file, body);
  const client = s3.client();
  try {
    await uploadSif({ s3: client, file, bucket, key, metadata });
  } finally {
    client.destroy();
  }
}

async function siteFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(site)).sort()) files[name] = await readFile(join(site, name), "utf8");
  return files;
}

beforeAll(async () => {
  api = await startGitlab({ projectId: "42", tokens: ["glpat-test"] });
  ({ double, gitlab } = api);
  double.state.branches = ["main", "feature/keep"];
  double.state.tags = [];
  s3 = await startS3Server({ buckets: ["sif", "sif-prod"] });
  work = await mkdtemp(join(tmpdir(), "spacktainers-site-"));
  site = join(work, "site");
  await upload("sif", "containers/app__1.0__feature-keep.sif", "branch sif", { "container-checksum": "b1" });
  await upload("sif", "containers/app__1.0__gone.sif", "gone branch sif", { "container-checksum": "g1" });
  await upload("sif-prod", "containers/app__1.0.sif", "prod sif v2", { "container-checksum": "p2" });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await s3?.stop();
  await rm(work, { recursive: true, force: true });
});

const context = readCiContext({
  env: {},
  now: new Date(0),
  overrides: { refName: "main", defaultBranch: "main" },
});
const env = { SIF_KEY: "S3RVER", SIF_SECRET: "S3RVER" };

describe("syncSiteSifs", () => {
  test("plans, then restores missing and outdated copies and removes deleted branches' SIFs; a second run does nothing", async () => {
    const config = siteConfigFrom(configText(site));
    await mkdir(site, { recursive: true });
    // An outdated prod copy (its record says p1), and a gone branch's SIF copied a day ago.
    await writeFile(join(site, "app__1.0.sif"), "prod sif v1");
    await writeFile(
      join(site, siteSifRecordFileName("app__1.0.sif")),
      JSON.stringify({
        bucket: "sif-prod",
        key: "containers/app__1.0.sif",
        size: 11,
        metadata: { "container-checksum": "p1" },
      }),
    );
    await writeFile(join(site, "app__0.9__old-work.sif"), "old");
    await writeFile(join(site, siteSifRecordFileName("app__0.9__old-work.sif")), "{}");
    const dayAgo = new Date(Date.now() - 86_400_000);
    await utimes(join(site, "app__0.9__old-work.sif"), dayAgo, dayAgo);
    const before = await siteFiles();

    const plan = await syncSiteSifs({ config, context, gitlab, env, now: new Date() });
    expect(plan.sifs).toEqual([
      {
        file: "app__1.0__feature-keep.sif",
        bucket: "sif",
        key: "containers/app__1.0__feature-keep.sif",
        action: "restore",
        reason: "missing at the site",
      },
      {
        file: "app__1.0.sif",
        bucket: "sif-prod",
        key: "containers/app__1.0.sif",
        action: "restore",
        reason: "outdated: container-checksum p1 → p2",
      },
    ]);
    expect(plan.cleanup.toDelete.map((sif) => sif.key)).toEqual(["app__0.9__old-work.sif"]);
    expect(await siteFiles()).toEqual(before);

    const applied = await syncSiteSifs({ config, context, gitlab, env, apply: true, now: new Date() });
    expect(applied.restored).toEqual(["app__1.0__feature-keep.sif", "app__1.0.sif"]);
    expect(applied.cleanup.deleted.map((sif) => sif.key)).toEqual(["app__0.9__old-work.sif"]);
    const after = await siteFiles();
    expect(Object.keys(after)).toEqual([
      ".app__1.0.sif.metadata.json",
      ".app__1.0__feature-keep.sif.metadata.json",
      "app__1.0.sif",
      "app__1.0__feature-keep.sif",
    ]);
    expect([after["app__1.0.sif"], after["app__1.0__feature-keep.sif"]]).toEqual([
      "prod sif v2",
      "branch sif",
    ]);
    expect(JSON.parse(after[".app__1.0.sif.metadata.json"]!)).toEqual({
      bucket: "sif-prod",
      key: "containers/app__1.0.sif",
      size: 11,
      metadata: { "container-checksum": "p2" },
    });

    const again = await syncSiteSifs({ config, context, gitlab, env, apply: true, now: new Date() });
    expect([again.restored, again.cleanup.deleted]).toEqual([[], []]);
    expect(again.sifs.map((sif) => `${sif.action} ${sif.file} (${sif.reason})`)).toEqual([
      "keep app__1.0__feature-keep.sif (up to date)",
      "keep app__1.0.sif (up to date)",
    ]);
    // A lost copy (the record survived) comes back.
    await rm(join(site, "app__1.0.sif"));
    const lost = await syncSiteSifs({ config, context, gitlab, env, apply: true, now: new Date() });
    expect(lost.restored).toEqual(["app__1.0.sif"]);
    expect((await siteFiles())["app__1.0.sif"]).toBe("prod sif v2");
  });

  test("an empty branch list is refused before anything is copied or deleted", async () => {
    const config = siteConfigFrom(configText(join(work, "empty-site")));
    double.state.branches = [];
    try {
      await expect(
        syncSiteSifs({ config, context, gitlab, env, apply: true, force: true, now: new Date() }),
      ).rejects.toMatchObject({ code: "BRANCH_LIST_EMPTY" });
    } finally {
      double.state.branches = ["main", "feature/keep"];
    }
    await expect(readdir(join(work, "empty-site"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("the parent pipeline's site job", () => {
  test("is emitted only with sif_deploy, on its runner, and passes a gitlab-ci-local run", async () => {
    const runSite = join(work, "run-site");
    const config = siteConfigFrom(configText(runSite));
    const withoutDeploy: SiteConfig = { ...config };
    delete withoutDeploy.sif_deploy;
    expect(buildParentPipeline({ config: withoutDeploy }).jobs).not.toHaveProperty(JOB_NAMES.syncSiteSifs);
    const pipeline = buildParentPipeline({ config });
    expect(pipeline.jobs[JOB_NAMES.syncSiteSifs]).toMatchObject({
      stage: "prune",
      tags: ["site"],
      needs: ["amd64", "arm64"].map((arch) => ({ job: JOB_NAMES.buildContainers(arch), optional: true })),
      script: ["pnpm spacktainers sync-site-sifs --apply"],
    });

    const { root, remove } = await createFixtureRepo({
      "container_definitions/spacktainers.yaml": configText(runSite),
      ".gitlab-ci.yml": renderPipelineYaml(pipeline),
      // Stand-ins: `corepack enable` would rewrite this machine's Node.js; `pnpm install` is
      // done; `pnpm spacktainers` runs our bin from source.
      ".fakebin/corepack": "#!/bin/sh\nexit 0\n",
      ".fakebin/pnpm": `#!/bin/sh\ncase "$1" in\n  install) exit 0 ;;\n  spacktainers) shift; exec ${binCommand("orchestrator")} "$@" ;;\nesac\nexit 64\n`,
    });
    try {
      await mkdir(join(root, ".glcl-home"));
      await chmod(join(root, ".fakebin/corepack"), 0o755);
      await chmod(join(root, ".fakebin/pnpm"), 0o755);
      await git(root, "config", "user.name", "test");
      await git(root, "config", "user.email", "test@example.org");
      await git(root, "remote", "add", "origin", "https://gitlab.example.org/group/project.git");
      await git(root, "update-ref", "refs/remotes/origin/main", "HEAD");
      await git(root, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
      const variables = {
        CI_API_V4_URL: double.url,
        CI_PROJECT_ID: "42",
        GITLAB_API_TOKEN: "glpat-test",
        SIF_KEY: s3.accessKeyId,
        SIF_SECRET: s3.secretAccessKey,
        // gitlab-ci-local's shell executor runs in the project dir but reports the Docker
        // executor's /builds/<group>/<project>; GitLab's runners set the directory they run in.
        CI_PROJECT_DIR: root,
      };
      const result = await runGitlabCiLocal({
        root,
        home: join(root, ".glcl-home"),
        bin: join(root, ".fakebin"),
        args: [
          "--ignore-predefined-vars",
          Object.keys(variables).join(","),
          ...Object.entries(variables).flatMap(([key, value]) => ["--variable", `${key}=${value}`]),
          "--job",
          JOB_NAMES.syncSiteSifs,
        ],
      });
      if (result.code !== 0) console.log(result.output.slice(-3000));
      expect({ code: result.code, pass: result.output.includes(` PASS  ${JOB_NAMES.syncSiteSifs}`) }).toEqual(
        {
          code: 0,
          pass: true,
        },
      );
      // Branches main and feature/keep live: their SIFs are at the site, the gone branch's not.
      expect((await readdir(runSite)).filter((name) => name.endsWith(".sif")).sort()).toEqual([
        "app__1.0.sif",
        "app__1.0__feature-keep.sif",
      ]);
    } finally {
      await remove();
    }
  }, 180_000);
});
