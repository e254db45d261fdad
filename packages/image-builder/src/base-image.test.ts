import { parseSiteConfig } from "@spacktainers/core";
import { useTempDir } from "@spacktainers/test-utils";
import { expect, test } from "vitest";
import { baseImageBuildArgs, describeBaseImage } from "./base-image.js";

const config = (branch: string, apptainer: string) =>
  parseSiteConfig({
    text: `architectures:
  amd64:
    runner_tags: [x]
    spack_requirement: "%gcc"
    cache_bucket: { name: cache-a, prod_name: cache-prod, credentials: { access_key_var: K, secret_key_var: S } }
    containers_bucket: { name: sifs, credentials: { access_key_var: K2, secret_key_var: S2 } }
spack: { repository: https://github.com/spack/spack.git, branch: ${branch}, template: { spack: {} } }
versions: { apptainer: "${apptainer}" }
`,
  }).value!;

test("a base image's tag covers its folder and the build args the site config gives it", async () => {
  const root = await useTempDir({
    "images/builder/Dockerfile": "FROM scratch\n",
    "images/singularitah/Dockerfile": "FROM scratch\n",
  });
  const tag = async (name: "builder" | "singularitah", branch: string, apptainer: string, isProd = false) =>
    (await describeBaseImage({ root, name, config: config(branch, apptainer), isProd })).tag;
  const builder = await tag("builder", "v1.0.2", "1.3.4");
  expect(await tag("builder", "v1.0.2", "1.3.4")).toBe(builder);
  // A new Spack branch, or the prod cache bucket baked into the mirror config: a new tag.
  expect(await tag("builder", "v1.1.0", "1.3.4")).not.toBe(builder);
  expect(await tag("builder", "v1.0.2", "1.3.4", true)).not.toBe(builder);
  // The apptainer version is a build arg of singularitah only.
  expect(await tag("builder", "v1.0.2", "1.4.0")).toBe(builder);
  expect(await tag("singularitah", "v1.0.2", "1.4.0")).not.toBe(await tag("singularitah", "v1.0.2", "1.3.4"));
  // Without a config, only the folder counts.
  expect((await describeBaseImage({ root, name: "builder" })).files).toEqual(["Dockerfile"]);
});

test("the builder's package repositories are build args, in order, and part of its tag", async () => {
  const root = await useTempDir({ "images/builder/Dockerfile": "FROM scratch\n" });
  const withRepos = (repos: string) =>
    parseSiteConfig({
      text: `architectures:
  amd64:
    runner_tags: [x]
    spack_requirement: "%gcc"
    cache_bucket: { name: cache-a, credentials: { access_key_var: K, secret_key_var: S } }
    containers_bucket: { name: sifs, credentials: { access_key_var: K2, secret_key_var: S2 } }
spack: { repository: https://github.com/spack/spack.git, branch: v1.0.2, template: { spack: {} }, repos: ${repos} }
`,
    }).value!;
  const a = "{ url: 'https://gitlab.example.org/hpc/a.git', branch: main }";
  const b = "{ url: 'git@gitlab.example.org:hpc/b.git', commit: 0123abcd, path: repo }";
  const tag = async (repos: string) =>
    (await describeBaseImage({ root, name: "builder", config: withRepos(repos) })).tag;
  const tags = await Promise.all([tag("[]"), tag(`[${a}]`), tag(`[${a}, ${b}]`), tag(`[${b}, ${a}]`)]);
  expect(new Set(tags).size).toBe(4);
  expect(
    baseImageBuildArgs({ config: withRepos(`[${a}, ${b}]`), name: "builder", isProd: false }).buildArgs,
  ).toEqual({
    SPACK_REPOSITORY: "https://github.com/spack/spack.git",
    SPACK_BRANCH: "v1.0.2",
    SPACK_REPOS: "https://gitlab.example.org/hpc/a.git|main|. git@gitlab.example.org:hpc/b.git|0123abcd|repo",
    GITLAB_HOST: "$CI_SERVER_HOST",
  });
});
