import { type GitlabJob, JOB_NAMES, renderPipelineYaml } from "@spacktainers/core";
import { gitlabCiFailures, validateGitlabCi } from "@spacktainers/test-utils";
import { describe, expect, test } from "vitest";
import { buildImageJobs } from "../src/build-image-jobs.js";
import { deploySifJob, dockerHubPushJob, sifJob } from "../src/sif-jobs.js";

const AMD = {
  arch: "amd64",
  tags: ["kubernetes", "amd64"],
  variables: { KUBERNETES_CPU_REQUEST: "4" },
};
const ARM = { arch: "arm64", tags: ["kubernetes", "arm64"], variables: {} };
const S3 = {
  endpoint: "https://s3.example.org",
  accessKeyVar: "AWS_SIF_ACCESS_KEY_ID",
  secretKeyVar: "AWS_SIF_SECRET_ACCESS_KEY",
};
const brayns = {
  name: "brayns",
  image: "$CI_REGISTRY_IMAGE/brayns:3.2.0",
  sifFileName: "brayns__3.2.0.sif",
  sifBucket: "sifs",
  sifObjectKey: "containers/brayns__3.2.0.sif",
  sifMetadata: { "container-checksum": "c".repeat(64), "spack-lock-sha256": "d".repeat(64) },
};

function pipelineJobs(): Record<string, GitlabJob> {
  return {
    ...buildImageJobs({
      name: "builder",
      repository: "$CI_REGISTRY_IMAGE/builder",
      tag: "0123456789ab",
      alsoLatest: true,
      arches: [AMD, ARM],
      context: "images/builder",
      dockerfile: "images/builder/Dockerfile",
      buildArgs: { SPACK_REPOSITORY: "https://github.com/spack/spack.git", SPACK_BRANCH: "v0.23.1" },
      secrets: [{ id: "spack_public_key", fileVar: "SPACK_DEPLOYMENT_KEY_PUBLIC" }],
      labels: {
        "ch.epfl.bbpgitlab.container_checksum": "e".repeat(64),
        "org.opencontainers.image.revision": "$CI_COMMIT_SHA",
      },
      stage: "base images",
    }),
    ...buildImageJobs({
      name: "brayns",
      repository: "$CI_REGISTRY_IMAGE/brayns",
      tag: "3.2.0",
      arches: [AMD],
      context: ".",
      dockerfile: "build/amd64/brayns/Dockerfile",
      buildArgs: { BUILDER_IMAGE: "$CI_REGISTRY_IMAGE/builder:0123456789ab" },
      secrets: [
        { id: "aws_access_key_id", envVar: "AWS_CACHE_ACCESS_KEY_ID" },
        { id: "aws_secret_access_key", envVar: "AWS_CACHE_SECRET_ACCESS_KEY" },
      ],
      stage: "containers",
      tlsVerify: false,
    }),
    ...sifJob({
      container: brayns,
      arch: AMD,
      image: "$CI_REGISTRY_IMAGE/singularitah:abcdefabcdef",
      stage: "sif",
      needs: [JOB_NAMES.publishImage("brayns", "3.2.0")],
      s3: S3,
    }),
    ...deploySifJob({
      container: brayns,
      arch: "amd64",
      directory: "/gpfs/containers/",
      runners: { tags: ["bb5_map"], variables: {} },
      stage: "deploy",
      needs: [JOB_NAMES.convertSif("brayns", "amd64")],
      s3: S3,
    }),
    ...dockerHubPushJob({
      name: "brayns",
      arch: AMD,
      source: "$CI_REGISTRY_IMAGE/brayns:3.2.0",
      destination: "bluebrain/spackah-brayns:3.2.0",
      stage: "docker hub",
      needs: [JOB_NAMES.publishImage("brayns", "3.2.0")],
      dockerHub: { userVar: "DOCKERHUB_USER", passwordVar: "DOCKERHUB_PASSWORD" },
    }),
  };
}

describe("job generators", () => {
  const yaml = renderPipelineYaml({
    stages: ["base images", "containers", "sif", "deploy", "docker hub"],
    jobs: pipelineJobs(),
  });

  test("the manifest job waits for every arch and moves the public tag last", () => {
    const jobs = pipelineJobs();
    expect(jobs[JOB_NAMES.publishImage("builder", "0123456789ab")]).toMatchObject({
      needs: [
        { job: JOB_NAMES.buildImage("builder", "amd64"), artifacts: true },
        { job: JOB_NAMES.buildImage("builder", "arm64"), artifacts: true },
      ],
      script: [
        `printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=true --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
        "buildah manifest create localhost/builder-index-$CI_JOB_ID",
        'buildah manifest add --tls-verify=true localhost/builder-index-$CI_JOB_ID "docker://$CI_REGISTRY_IMAGE/builder@$DIGEST_BUILDER_AMD64"',
        'buildah manifest add --tls-verify=true localhost/builder-index-$CI_JOB_ID "docker://$CI_REGISTRY_IMAGE/builder@$DIGEST_BUILDER_ARM64"',
        'buildah manifest push --all --tls-verify=true localhost/builder-index-$CI_JOB_ID "docker://$CI_REGISTRY_IMAGE/builder:0123456789ab"',
        'buildah manifest push --all --tls-verify=true localhost/builder-index-$CI_JOB_ID "docker://$CI_REGISTRY_IMAGE/builder:latest"',
        "buildah manifest rm localhost/builder-index-$CI_JOB_ID",
      ],
    });
  });

  test("rendered YAML", () => {
    expect(yaml).toMatchSnapshot();
  });

  test("no secret value, only $VAR references and --password-stdin", () => {
    const secretLines = yaml.split("\n").filter((line) => /PASSWORD|SECRET|KEY_PUBLIC/.test(line));
    expect(secretLines.map((line) => line.trim())).toEqual([
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=true --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `- buildah build --platform linux/amd64 --file images/builder/Dockerfile --build-arg SPACK_REPOSITORY=https://github.com/spack/spack.git --build-arg SPACK_BRANCH=v0.23.1 --secret "id=spack_public_key,src=$SPACK_DEPLOYMENT_KEY_PUBLIC" --label ch.epfl.bbpgitlab.container_checksum=${"e".repeat(64)} --label "org.opencontainers.image.revision=$CI_COMMIT_SHA" --tag localhost/builder:amd64 images/builder`,
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=true --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `- buildah build --platform linux/arm64 --file images/builder/Dockerfile --build-arg SPACK_REPOSITORY=https://github.com/spack/spack.git --build-arg SPACK_BRANCH=v0.23.1 --secret "id=spack_public_key,src=$SPACK_DEPLOYMENT_KEY_PUBLIC" --label ch.epfl.bbpgitlab.container_checksum=${"e".repeat(64)} --label "org.opencontainers.image.revision=$CI_COMMIT_SHA" --tag localhost/builder:arm64 images/builder`,
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=true --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=false --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `- buildah build --platform linux/amd64 --tls-verify=false --file build/amd64/brayns/Dockerfile --build-arg "BUILDER_IMAGE=$CI_REGISTRY_IMAGE/builder:0123456789ab" --secret id=aws_access_key_id,env=AWS_CACHE_ACCESS_KEY_ID --secret id=aws_secret_access_key,env=AWS_CACHE_SECRET_ACCESS_KEY --tag localhost/brayns:amd64 .`,
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | buildah login --tls-verify=false --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `APPTAINER_DOCKER_PASSWORD: $CI_REGISTRY_PASSWORD`,
      `- pnpm spacktainers-image upload-sif --file brayns__3.2.0.sif --bucket sifs --key containers/brayns__3.2.0.sif --metadata container-checksum=${"c".repeat(64)} --metadata spack-lock-sha256=${"d".repeat(64)} --endpoint https://s3.example.org --access-key-var AWS_SIF_ACCESS_KEY_ID --secret-key-var AWS_SIF_SECRET_ACCESS_KEY`,
      `- pnpm spacktainers-image download-sif --bucket sifs --key containers/brayns__3.2.0.sif --file /gpfs/containers/brayns__3.2.0.sif --record --endpoint https://s3.example.org --access-key-var AWS_SIF_ACCESS_KEY_ID --secret-key-var AWS_SIF_SECRET_ACCESS_KEY`,
      `- printf '%s' "$CI_REGISTRY_PASSWORD" | skopeo login --tls-verify=true --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`,
      `- printf '%s' "$DOCKERHUB_PASSWORD" | skopeo login --tls-verify=true --username "$DOCKERHUB_USER" --password-stdin "docker.io"`,
    ]);
  });

  test("gitlab-ci-local accepts the pipeline and resolves every need", async () => {
    const [result] = await validateGitlabCi({
      files: { ".gitlab-ci.yml": yaml },
      entries: [".gitlab-ci.yml"],
    });
    expect(gitlabCiFailures([result!])).toEqual([]);
    expect(
      result!.jobs.map((job) => [job.name, job.stage, (job.needs ?? []).map((need) => need.job)]),
    ).toEqual([
      ["build builder for amd64", "base images", []],
      ["build builder for arm64", "base images", []],
      ["publish builder:0123456789ab", "base images", ["build builder for amd64", "build builder for arm64"]],
      ["build brayns for amd64", "containers", []],
      ["publish brayns:3.2.0", "containers", ["build brayns for amd64"]],
      ["convert brayns to sif for amd64", "sif", ["publish brayns:3.2.0"]],
      ["deploy brayns sif for amd64", "deploy", ["convert brayns to sif for amd64"]],
      ["push brayns to docker hub for amd64", "docker hub", ["publish brayns:3.2.0"]],
    ]);
  }, 90_000);
});
