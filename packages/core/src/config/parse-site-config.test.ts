import { expect, test } from "vitest";
import { collectSecretValues, createSecretMasker, MASK, SECRET_NAME_PARTS } from "../errors/mask-secrets.js";
import { parseSiteConfig } from "./parse-site-config.js";

const minimal = `
architectures:
  amd64:
    runner_tags: [docker]
    spack_requirement: "%gcc@12 target=x86_64_v3"
    cache_bucket:
      name: spack-cache
      credentials: { access_key_var: CACHE_KEY_ID, secret_key_var: CACHE_SECRET }
    containers_bucket:
      name: sifs
      credentials: { access_key_var: SIF_KEY_ID, secret_key_var: SIF_SECRET }
spack:
  repository: https://github.com/spack/spack.git
  branch: v1.0.2
  template:
    spack:
      view: false
`;

test("a minimal config gets its documented defaults", () => {
  const { value, problems } = parseSiteConfig({ text: minimal });
  expect(problems).toEqual([]);
  expect(value?.registry).toEqual({
    image_prefix: "${CI_REGISTRY_IMAGE}",
    label_prefix: "ch.epfl.bbpgitlab.",
    user_var: "CI_REGISTRY_USER",
    password_var: "CI_REGISTRY_PASSWORD",
    tls_verify: true,
  });
  expect(value?.architectures.amd64?.containers_bucket.prefix).toBe("containers/");
  expect(value?.architectures.amd64?.proxy).toBe(false);
  expect(value?.docker_hub).toEqual({
    enabled: false,
    repository_prefix: "",
    user_var: "DOCKERHUB_USER",
    password_var: "DOCKERHUB_PASSWORD",
  });
});

test("every problem is reported with file:line:col", () => {
  const text = minimal
    .replace("runner_tags: [docker]", "runner_tags: docker\n    colour: blue")
    .replace("access_key_var: SIF_KEY_ID", "access_key_var: AKIA/VALUE")
    .replace("  branch: v1.0.2\n", "");
  const { value, problems } = parseSiteConfig({ text });
  expect(value).toBeUndefined();
  expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`)).toMatchInlineSnapshot(`
    [
      "container_definitions/spacktainers.yaml:5:5 unknown key "colour" in architectures.amd64 (expected one of: runner_tags, proxy, spack_requirement, variables, cache_bucket, containers_bucket)",
      "container_definitions/spacktainers.yaml:4:18 architectures.amd64.runner_tags must be array, found string "docker"",
      "container_definitions/spacktainers.yaml:12:38 architectures.amd64.containers_bucket.credentials.access_key_var has an invalid value string "AKIA/VALUE"",
      "container_definitions/spacktainers.yaml:14:3 spack is missing the required key "branch"",
    ]
  `);
});

test("YAML syntax errors and duplicate keys are located", () => {
  const { problems } = parseSiteConfig({
    text: "architectures:\n  amd64: {\nspack: 1\nspack: 2\n",
    file: "x.yaml",
  });
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.every((p) => p.file === "x.yaml" && typeof p.line === "number")).toBe(true);
});

test("a secret-looking arch variable is refused, a shared credential var too", () => {
  const text = minimal
    .replace("spack_requirement:", "variables: { API_TOKEN: abc }\n    spack_requirement:")
    .replace("secret_key_var: CACHE_SECRET", "secret_key_var: CACHE_KEY_ID");
  expect(parseSiteConfig({ text }).problems.map((p) => [p.code, p.line])).toEqual([
    ["CONFIG_INVALID", 9],
    ["CONFIG_SECRET", 5],
  ]);
});

test("proxy: true gives the arch's jobs the site proxy variables; its own variables win", () => {
  const text = `${minimal.replace("    runner_tags: [docker]\n", "    runner_tags: [docker]\n    proxy: true\n    variables: { NO_PROXY: internal.example.org }\n")}
proxy:
  http: http://proxy.example.org:3128
  no_proxy: [.example.org, 10.0.0.1]
`;
  const { value, problems } = parseSiteConfig({ text });
  expect(problems).toEqual([]);
  expect(value?.architectures.amd64?.variables).toEqual({
    HTTP_PROXY: "http://proxy.example.org:3128",
    http_proxy: "http://proxy.example.org:3128",
    HTTPS_PROXY: "http://proxy.example.org:3128",
    https_proxy: "http://proxy.example.org:3128",
    NO_PROXY: "internal.example.org",
    no_proxy: ".example.org,10.0.0.1",
  });
});

test("proxy: true without a site proxy, and a proxy URL with a login, are located errors", () => {
  const withoutSite = parseSiteConfig({
    text: minimal.replace("    runner_tags: [docker]\n", "    runner_tags: [docker]\n    proxy: true\n"),
  });
  expect(withoutSite.problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
    "5:12 architectures.amd64.proxy is true but the site proxy is not configured",
  ]);
  const withLogin = parseSiteConfig({
    text: `${minimal}proxy:\n  http: http://user:pass@proxy.example.org:3128\n`,
  });
  expect(withLogin.problems.map((p) => `${p.line}:${p.col} ${p.code} ${p.message}`)).toEqual([
    "19:9 CONFIG_SECRET proxy.http holds credentials; proxy URLs are written into the generated pipeline",
  ]);
});

test("every secret-looking name the masker hides is refused as a job variable, and only those", () => {
  const names = [...SECRET_NAME_PARTS.map((part) => `CACHE_${part}`), "KUBERNETES_CPU_REQUEST", "HTTP_PROXY"];
  const text = minimal.replace(
    "    runner_tags: [docker]\n",
    `    runner_tags: [docker]\n    variables:\n${names.map((name) => `      ${name}: value-of-${name}\n`).join("")}`,
  );
  const refused = parseSiteConfig({ text }).problems.map((problem) => problem.message.split(" ")[0]);
  const masked = createSecretMasker(
    collectSecretValues(Object.fromEntries(names.map((name) => [name, `value-of-${name}`]))),
  );
  const hidden = names.filter((name) => masked(`value-of-${name}`) === MASK);
  expect(refused).toEqual(SECRET_NAME_PARTS.map((part) => `architectures.amd64.variables.CACHE_${part}`));
  expect(hidden).toEqual(names.slice(0, SECRET_NAME_PARTS.length));
  expect(SECRET_NAME_PARTS).toEqual(
    expect.arrayContaining([
      "TOKEN",
      "SECRET",
      "PASSWORD",
      "PRIVATE",
      "API_KEY",
      "ACCESS_KEY",
      "AUTH",
      "CREDENTIAL",
      "PASSWD",
    ]),
  );
});

test("a template naming the private signing key is refused: only protected refs may see it", () => {
  const named = (key: string, line: string) =>
    parseSiteConfig({
      text: minimal
        .replace("  branch: v1.0.2\n", `  branch: v1.0.2\n  private_key_var: ${key}\n`)
        .replace(
          "      view: false",
          `      view: false\n      ci:\n        pipeline-gen:\n          - build-job:\n              before_script: ['${line}']`,
        ),
    }).problems.map((p) => `${p.line}:${p.col} ${p.message}`);
  expect(named("SIGNING_KEY", 'spack gpg trust "$SIGNING_KEY"')).toEqual([
    "17:5 spack.template names the private signing key $SIGNING_KEY; spacktainers gives it to the build jobs of protected refs itself",
  ]);
  expect(named("SIGNING_KEY", "spack gpg trust ${SIGNING_KEY}")).toHaveLength(1);
  // Another variable that merely starts with the name is not the key.
  expect(named("SIGNING_KEY", 'spack gpg trust "$SIGNING_KEY_PUBLIC"')).toEqual([]);
});

test("spack.repos: each repository with exactly one of branch or commit, a relative path", () => {
  const withRepos = (lines: string) =>
    parseSiteConfig({ text: minimal.replace("  branch: v1.0.2\n", `  branch: v1.0.2\n  repos:\n${lines}`) });
  expect(
    withRepos(
      "    - { url: https://git.example.org/a.git, branch: main }\n    - { url: git@example.org:b.git, commit: 0123abc, path: repo }\n",
    ).value?.spack.repos,
  ).toEqual([
    { url: "https://git.example.org/a.git", branch: "main", path: "." },
    { url: "git@example.org:b.git", commit: "0123abc", path: "repo" },
  ]);
  const problems = (lines: string) =>
    withRepos(lines).problems.map((p) => `${p.line}:${p.col} ${p.message}${p.hint ? ` (${p.hint})` : ""}`);
  expect(problems("    - { url: https://git.example.org/a.git }\n")).toMatchInlineSnapshot(`
    [
      "16:7 spack.repos.0 is missing the required key "branch"",
      "16:7 spack.repos.0 is missing the required key "commit"",
      "16:7 spack.repos.0 must match exactly one schema in oneOf (give exactly one of branch or commit)",
    ]
  `);
  expect(
    problems("    - { url: https://git.example.org/a.git, branch: a, commit: 0123abc }\n"),
  ).toMatchInlineSnapshot(`
    [
      "16:7 spack.repos.0 must match exactly one schema in oneOf (give exactly one of branch or commit)",
    ]
  `);
  expect(
    problems("    - { url: https://git.example.org/a.git, branch: a, path: ../up }\n"),
  ).toMatchInlineSnapshot(`
    [
      "16:62 spack.repos.0.path has an invalid value string "../up" (the folder of the clone holding repo.yaml, relative (default the clone itself))",
    ]
  `);
});

test("a repository URL with a login is refused: it would land in build arguments and logs", () => {
  const { problems } = parseSiteConfig({
    text: minimal.replace(
      "  branch: v1.0.2\n",
      "  branch: v1.0.2\n  repos:\n    - { url: 'https://ci:glpat-x@gitlab.example.org/a.git', branch: main }\n    - { url: 'ssh://git@gitlab.example.org/b.git', branch: main }\n",
    ),
  });
  expect(problems.map((p) => `${p.line}:${p.col} ${p.code} ${p.message}`)).toEqual([
    "16:14 CONFIG_SECRET spack.repos.0.url holds a login; repository URLs are written into build arguments and logs",
  ]);
});

test("versions: only the versions a base image is built with; label-only keys are refused", () => {
  const versions = (text: string) => {
    const { value, problems } = parseSiteConfig({ text: `${minimal}versions: ${text}\n` });
    return value?.versions ?? problems.map((p) => `${p.line}:${p.col} ${p.message}`);
  };
  expect(versions("{ apptainer: 1.3.6, node: 20.19.5 }")).toEqual({ apptainer: "1.3.6", node: "20.19.5" });
  expect(versions("{ s3cmd: 2.4.0, spacktainers: 0.1.0 }")).toMatchInlineSnapshot(`
    [
      "18:13 unknown key "s3cmd" in versions (expected one of: apptainer, singularity, node)",
      "18:27 unknown key "spacktainers" in versions (expected one of: apptainer, singularity, node)",
    ]
  `);
  expect(versions("{ apptainer: 1.3.6, singularity: 3.8 }")).toMatchInlineSnapshot(`
    [
      "18:31 versions gives both apptainer and singularity; the singularitah image installs one apptainer",
    ]
  `);
});

test("containers_bucket takes no max_age_days: SIFs go with their branch", () => {
  const { problems } = parseSiteConfig({
    text: minimal.replace("      name: sifs\n", "      name: sifs\n      max_age_days: 30\n"),
  });
  expect(problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
    '11:7 unknown key "max_age_days" in architectures.amd64.containers_bucket (expected one of: name, prod_name, endpoint, credentials, prefix)',
  ]);
});
