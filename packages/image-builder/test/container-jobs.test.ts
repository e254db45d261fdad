import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CustomContainerDefinition,
  credentialVariableNames,
  describeContainer,
  parseSiteConfig,
  parseSpackLock,
  readCiContext,
  renderPipelineYaml,
  type SiteConfig,
  type SpackContainerDefinition,
} from "@spacktainers/core";
import { gitlabCiFailures, validateGitlabCi } from "@spacktainers/test-utils";
import { describe, expect, test } from "vitest";
import type { BaseImageIdentity } from "../src/base-image.js";
import {
  baseImageJobs,
  customContainerJobs,
  pinDefinitionSource,
  spackContainerJobs,
} from "../src/container-jobs.js";

const FIXTURES = join(import.meta.dirname, "../__fixtures__");
/** GitLab expands it; we write it as is. */
const PREFIX = "$" + "{CI_REGISTRY_IMAGE}";

const SITE = `
registry:
  image_prefix: \${CI_REGISTRY_IMAGE}
architectures:
  amd64:
    runner_tags: [kubernetes, amd64]
    spack_requirement: "%gcc@12 target=x86_64_v3"
    variables: { KUBERNETES_CPU_REQUEST: 4 }
    cache_bucket:
      name: spack-cache
      endpoint: https://s3.example.org
      credentials: { access_key_var: AWS_CACHE_ACCESS_KEY_ID, secret_key_var: AWS_CACHE_SECRET_ACCESS_KEY }
    containers_bucket:
      name: sifs
      prod_name: sifs-prod
      endpoint: https://s3.example.org
      credentials: { access_key_var: AWS_SIF_ACCESS_KEY_ID, secret_key_var: AWS_SIF_SECRET_ACCESS_KEY }
  arm64:
    runner_tags: [kubernetes, arm64]
    spack_requirement: "%gcc@12 target=aarch64"
    cache_bucket:
      name: spack-cache-arm
      credentials: { access_key_var: AWS_CACHE_ACCESS_KEY_ID, secret_key_var: AWS_CACHE_SECRET_ACCESS_KEY }
    containers_bucket:
      name: sifs
      credentials: { access_key_var: AWS_SIF_ACCESS_KEY_ID, secret_key_var: AWS_SIF_SECRET_ACCESS_KEY }
docker_hub: { enabled: true, namespace: bluebrain, repository_prefix: spackah- }
sif_deploy: { runner_tags: [bb5_map], directory: /gpfs/bbp/containers }
spack:
  repository: https://github.com/spack/spack.git
  branch: v0.23.1
  public_key_var: SPACK_DEPLOYMENT_KEY_PUBLIC
  private_key_var: SPACK_DEPLOYMENT_KEY_PRIVATE
  template: { spack: { view: false } }
versions: { apptainer: 1.3.6, node: 20.19.5 }
`;

function siteConfig(): SiteConfig {
  const { value, problems } = parseSiteConfig({ text: SITE });
  expect(problems).toEqual([]);
  return value!;
}

const base = (name: "builder" | "runtime" | "singularitah", hex: string): BaseImageIdentity => ({
  name,
  checksum: hex.repeat(64),
  tag: hex.repeat(12),
  files: ["Dockerfile"],
});

const definition: SpackContainerDefinition = {
  kind: "spack",
  form: "file",
  name: "zlib",
  arch: "amd64",
  path: "container_definitions/amd64/zlib.yaml",
  checksum: "c".repeat(64),
  checksumInputs: ["container_definitions/amd64/zlib.yaml"],
  spack: { specs: ["zlib"] },
  specs: ["zlib"],
  mainPackage: "zlib",
  files: [],
  strip: true,
};

const custom: CustomContainerDefinition = {
  kind: "custom",
  form: "def",
  name: "nexus-storage",
  arch: "amd64",
  path: "container_definitions/amd64/nexus-storage.def",
  checksum: "a".repeat(64),
  checksumInputs: ["container_definitions/amd64/nexus-storage.def"],
  source: {
    repository: "bluebrain/nexus-storage",
    tag: "latest",
    original: "bluebrain/nexus-storage:latest",
  },
  text: "Bootstrap: docker\nFrom: bluebrain/nexus-storage:latest\n\n%startscript\n   /opt/docker/bin/storage $@\n",
};

async function prodPipeline() {
  const config = siteConfig();
  const context = readCiContext({
    env: { CI: "true", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main", CI_COMMIT_SHA: "f".repeat(40) },
    now: new Date("2026-01-02T03:04:05Z"),
  });
  const lock = parseSpackLock({
    text: await readFile(join(FIXTURES, "spack-0.23.1/spack.lock"), "utf8"),
    file: "spack.lock",
  });
  const baseImages = {
    builder: `${PREFIX}/builder:111111111111`,
    runtime: `${PREFIX}/runtime:222222222222`,
    singularitah: `${PREFIX}/singularitah:333333333333`,
  };
  const identity = await describeContainer({
    definition,
    lock,
    context,
    config,
    baseImages: { builder: `sha256:${"1".repeat(64)}`, runtime: `sha256:${"2".repeat(64)}` },
  });
  const customIdentity = await describeContainer({ definition: custom, context, config });
  const stages = { build: "containers", sif: "sif", deploy: "deploy", dockerHub: "docker hub" };
  const jobs = {
    ...baseImageJobs({
      config,
      context,
      base: base("builder", "1"),
      arches: ["amd64", "arm64"],
      stage: "base",
      spackCommit: "abc123",
    }),
    ...baseImageJobs({
      config,
      context,
      base: base("runtime", "2"),
      arches: ["amd64", "arm64"],
      stage: "base",
    }),
    ...baseImageJobs({
      config,
      context,
      base: base("singularitah", "3"),
      arches: ["amd64", "arm64"],
      stage: "base",
    }),
    ...spackContainerJobs({
      config,
      context,
      identity,
      baseImages,
      dockerfile: "build/amd64/zlib/Dockerfile",
      stages,
    }),
    ...customContainerJobs({
      config,
      identity: customIdentity,
      definitionFile: "build/amd64/nexus-storage.def",
      sourceDigest: `sha256:${"9".repeat(64)}`,
      singularitah: baseImages.singularitah,
      stages,
    }),
  };
  return { config, jobs, identity };
}

describe("pipeline jobs from the site config and describeContainer", () => {
  test("job names, stages and needs; gitlab-ci-local accepts them", async () => {
    const { jobs } = await prodPipeline();
    const yaml = renderPipelineYaml({ stages: ["base", "containers", "sif", "deploy", "docker hub"], jobs });
    const [result] = await validateGitlabCi({
      files: { ".gitlab-ci.yml": yaml },
      entries: [".gitlab-ci.yml"],
    });
    expect(gitlabCiFailures([result!])).toEqual([]);
    expect(
      result!.jobs.map(
        (job) => `${job.stage} | ${job.name} <- ${(job.needs ?? []).map((n) => n.job).join(", ")}`,
      ),
    ).toMatchInlineSnapshot(`
        [
          "base | build builder for amd64 <- ",
          "base | build builder for arm64 <- ",
          "base | build runtime for amd64 <- ",
          "base | build runtime for arm64 <- ",
          "base | build singularitah for amd64 <- ",
          "base | build singularitah for arm64 <- ",
          "base | publish builder:111111111111 <- build builder for amd64, build builder for arm64",
          "base | publish runtime:222222222222 <- build runtime for amd64, build runtime for arm64",
          "base | publish singularitah:333333333333 <- build singularitah for amd64, build singularitah for arm64",
          "containers | build zlib for amd64 <- ",
          "containers | publish zlib:1.2.13 <- build zlib for amd64",
          "sif | convert nexus-storage to sif for amd64 <- ",
          "sif | convert zlib to sif for amd64 <- publish zlib:1.2.13",
          "deploy | deploy nexus-storage sif for amd64 <- convert nexus-storage to sif for amd64",
          "deploy | deploy zlib sif for amd64 <- convert zlib to sif for amd64",
          "docker hub | push zlib to docker hub for amd64 <- publish zlib:1.2.13",
        ]
      `);
  }, 90_000);

  test("secrets appear only as variable names ($VAR, --*-var NAME, env=NAME, src=$NAME)", async () => {
    const { config, jobs } = await prodPipeline();
    const yaml = renderPipelineYaml({ jobs });
    const names = credentialVariableNames(config);
    const uses = [...yaml.matchAll(new RegExp(`(.{0,6})\\b(${names.join("|")})\\b`, "g"))].map((m) => m[1]!);
    const allowed = /(\$|-var |env=|src=\$)$/;
    expect(uses.filter((prefix) => !allowed.test(prefix))).toEqual([]);
    expect(uses.length).toBeGreaterThan(10);
  });

  test("package repositories give the builder build the job token as a one-RUN secret, never a build arg", () => {
    const config = siteConfig();
    const context = readCiContext({ env: {}, now: new Date(0) });
    const script = (repos: SiteConfig["spack"]["repos"]) =>
      baseImageJobs({
        config: { ...config, spack: { ...config.spack, repos } },
        context,
        base: base("builder", "1"),
        arches: ["amd64"],
        stage: "base",
      })["build builder for amd64"]!.script[1] as string;
    expect(script([])).not.toContain("CI_JOB_TOKEN");
    const withRepos = script([{ url: "git@gitlab.example.org:hpc/models.git", branch: "main", path: "." }]);
    expect(withRepos).toContain(
      "--build-arg 'SPACK_REPOS=git@gitlab.example.org:hpc/models.git|main|.' --build-arg \"GITLAB_HOST=$CI_SERVER_HOST\"",
    );
    expect(withRepos.match(/\S*CI_JOB_TOKEN\S*/g)).toEqual(["id=ci_job_token,env=CI_JOB_TOKEN"]);
  });

  test("builder build args per arch, labels, and the container's labels", async () => {
    const { jobs, identity } = await prodPipeline();
    const amd = jobs["build builder for amd64"]!.script[1];
    const arm = jobs["build builder for arm64"]!.script[1];
    expect(amd).toBe(
      'buildah build --platform linux/amd64 --file images/builder/Dockerfile --build-arg SPACK_REPOSITORY=https://github.com/spack/spack.git --build-arg SPACK_BRANCH=v0.23.1 --build-arg SPACK_COMMIT=abc123 --build-arg "GITLAB_HOST=$CI_SERVER_HOST" --build-arg CACHE_BUCKET=spack-cache --build-arg CACHE_ENDPOINT=https://s3.example.org --secret "id=spack_public_key,src=$SPACK_DEPLOYMENT_KEY_PUBLIC" --label ch.epfl.bbpgitlab.container_checksum=1111111111111111111111111111111111111111111111111111111111111111 --label ch.epfl.bbpgitlab.spack_commit=abc123 --label "org.opencontainers.image.revision=$CI_COMMIT_SHA" --label "org.opencontainers.image.source=$CI_PROJECT_URL" --tag localhost/builder:amd64 images/builder',
    );
    expect(arm).toContain("--build-arg CACHE_BUCKET=spack-cache-arm --secret");
    const zlib = jobs["build zlib for amd64"]!.script[1] as string;
    for (const [name, value] of Object.entries(identity.labels)) {
      if (
        name.startsWith("org.opencontainers.image.revision") ||
        name.startsWith("org.opencontainers.image.source")
      )
        continue;
      expect(zlib).toContain(`${name}=${value}`);
    }
    expect(jobs["push zlib to docker hub for amd64"]!.script[2]).toBe(
      `skopeo copy --all --src-tls-verify=true --dest-tls-verify=true "docker://${PREFIX}/zlib:1.2.13" "docker://docker.io/bluebrain/spackah-zlib:1.2.13"`,
    );
    expect(jobs["convert nexus-storage to sif for amd64"]!.script).toEqual([
      "apptainer build --force nexus-storage__latest__amd64.sif build/amd64/nexus-storage.def",
      `pnpm spacktainers-image upload-sif --file nexus-storage__latest__amd64.sif --bucket sifs-prod --key containers/nexus-storage__latest__amd64.sif --metadata container-checksum=${"a".repeat(64)} --metadata digest=sha256:${"9".repeat(64)} --endpoint https://s3.example.org --access-key-var AWS_SIF_ACCESS_KEY_ID --secret-key-var AWS_SIF_SECRET_ACCESS_KEY`,
    ]);
  });

  test("skip decisions leave jobs out; pinDefinitionSource pins From:", async () => {
    const config = siteConfig();
    const { identity } = await prodPipeline();
    const skip = { action: "skip" as const, reason: "up to date" };
    const jobs = spackContainerJobs({
      config,
      context: { isProd: false },
      identity,
      baseImages: { builder: "b", runtime: "r", singularitah: "s" },
      dockerfile: "Dockerfile",
      stages: { build: "b", sif: "s", deploy: "d", dockerHub: "h" },
      decisions: { image: skip, sif: { action: "build", reason: "missing" } },
    });
    expect(Object.keys(jobs)).toEqual(["convert zlib to sif for amd64", "deploy zlib sif for amd64"]);
    // The site copy runs on the sif_deploy runner, without the arch's variables.
    expect(jobs["deploy zlib sif for amd64"]).toMatchObject({ tags: ["bb5_map"] });
    expect(jobs["deploy zlib sif for amd64"]?.variables).toBeUndefined();
    expect(pinDefinitionSource(custom.text, `bluebrain/nexus-storage@sha256:${"9".repeat(64)}`)).toBe(
      `Bootstrap: docker\nFrom: bluebrain/nexus-storage@sha256:${"9".repeat(64)}\n\n%startscript\n   /opt/docker/bin/storage $@\n`,
    );
  });

  test("with ci.proxy the site copy of a SIF reaches the outside through the site proxy, as the site sync does", async () => {
    const { value: config, problems } = parseSiteConfig({
      text: `${SITE}proxy: { http: "http://proxy.example.org:3128", no_proxy: [.example.org] }\nci: { proxy: true }\n`,
    });
    expect(problems).toEqual([]);
    const { identity } = await prodPipeline();
    const jobs = spackContainerJobs({
      config: config!,
      context: { isProd: false },
      identity,
      baseImages: { builder: "b", runtime: "r", singularitah: "s" },
      dockerfile: "Dockerfile",
      stages: { build: "b", sif: "s", deploy: "d", dockerHub: "h" },
      decisions: {
        image: { action: "skip", reason: "up to date" },
        sif: { action: "build", reason: "missing" },
      },
    });
    expect(jobs["deploy zlib sif for amd64"]).toMatchObject({
      tags: ["bb5_map"],
      variables: { HTTPS_PROXY: "http://proxy.example.org:3128", no_proxy: ".example.org" },
    });
  });
});
