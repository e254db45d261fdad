import { InputInvalidError, parseYaml, type SiteConfig } from "@spacktainers/core";
import { describe, expect, it } from "vitest";
import { fixtureConfig, spackDefinition } from "../test/helpers.js";
import {
  buildSpackEnvironment,
  composeSpackEnvironment,
  type SpackEnvironment,
} from "./build-spack-environment.js";

/** The parts of a written environment these tests look at. */
type Written = {
  packages: { all: { require: unknown[] } };
  mirrors: Record<string, unknown>;
  ci: { "pipeline-gen": unknown[] };
};
const written = (environment: SpackEnvironment) => environment.environment.spack as unknown as Written;

const BUILDER = "registry.example.org:5050/hpc/spacktainers/builder:0123456789ab";
const { config, text: configText } = fixtureConfig();

async function problemsOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (InputInvalidError.isInstance(error)) return error.problems;
    throw error;
  }
  throw new Error("expected an InputInvalidError");
}

describe("buildSpackEnvironment", () => {
  it("writes the template + definition + arch requirement, build cache and runners", async () => {
    const definition = spackDefinition({
      name: "system-benchmarks",
      spack: {
        specs: ["osu-micro-benchmarks", "ior"],
        packages: { "osu-micro-benchmarks": { require: "@6.2" } },
      },
    });
    const environment = await buildSpackEnvironment({
      definition,
      config,
      context: { isProd: false },
      builderImage: BUILDER,
    });
    expect(environment.path).toBe("amd64/system-benchmarks/spack.yaml");
    expect(environment.yaml).toMatchInlineSnapshot(`
      "spack:
        specs:
          - osu-micro-benchmarks
          - ior
        packages:
          morpho-kit:
            require: "@0.3.4:"
          mpfr:
            require: "@4.1.0:"
          all:
            require:
              - "%gcc@12 target=x86_64_v3"
            providers:
              mpi:
                - mpich
          osu-micro-benchmarks:
            require: "@6.2"
        concretizer:
          unify: true
          reuse: false
          targets:
            granularity: generic
        config:
          install_tree:
            root: /opt/we-will-build/the-packages/in-the-cache-builder/with-a-very-long-path/to-avoid-problems/in-the-future
          build_jobs: 4
        view: false
        ci:
          target: gitlab
          pipeline-gen:
            - any-job:
                image:
                  name: registry.example.org:5050/hpc/spacktainers/builder:0123456789ab
                  entrypoint:
                    - ""
                tags:
                  - kubernetes
                  - amd64
                variables:
                  KUBERNETES_CPU_REQUEST: "4"
                  KUBERNETES_MEMORY_REQUEST: 8Gi
            - build-job:
                before_script:
                  - . $SPACK_ROOT/share/spack/setup-env.sh
                  - spack gpg trust "$SPACK_DEPLOYMENT_KEY_PUBLIC"
                script:
                  - pushd \${SPACK_CONCRETE_ENV_DIR} && spack env activate --without-view . && popd
                  - spack -d ci rebuild
            - reindex-job:
                before_script:
                  - . $SPACK_ROOT/share/spack/setup-env.sh
        mirrors:
          buildcache-destination:
            url: s3://spack-build-cache
            binary: true
            endpoint_url: https://s3.example.org
            access_pair:
              id_variable: AWS_CACHE_ACCESS_KEY_ID
              secret_variable: AWS_CACHE_SECRET_ACCESS_KEY
            signed: false
      "
    `);
    // The YAML parses back to exactly the environment.
    expect(parseYaml({ text: environment.yaml, file: "spack.yaml" }).value).toEqual(environment.environment);
    expect(environment.warnings).toMatchInlineSnapshot(`
      [
        {
          "code": "TEMPLATE_PLACEHOLDER",
          "file": "container_definitions/spacktainers.yaml",
          "hint": "remove the placeholder from the template",
          "message": "packages:all:require "%BASE_ARCH%" is the original tool's placeholder; spacktainers writes architectures.amd64.spack_requirement there itself",
        },
      ]
    `);
  });

  it("uses the prod bucket on the default branch, arm64's tags and requirement, and no variables when none", async () => {
    const definition = spackDefinition({
      name: "cwl-registry",
      arch: "arm64",
      spack: { specs: ["py-cwl-registry"] },
    });
    const prod = await buildSpackEnvironment({
      definition,
      config,
      context: { isProd: true, isProtected: true },
      builderImage: BUILDER,
    });
    const spack = written(prod);
    expect({
      require: spack.packages.all.require,
      mirrors: spack.mirrors,
      anyJob: spack.ci["pipeline-gen"][0],
    }).toEqual({
      require: ["%gcc@12 target=neoverse_v1"],
      // arm64's cache bucket has no prod_name and no endpoint.
      mirrors: {
        "buildcache-destination": {
          url: "s3://spack-build-cache-arm",
          binary: true,
          access_pair: {
            id_variable: "AWS_CACHE_ACCESS_KEY_ID",
            secret_variable: "AWS_CACHE_SECRET_ACCESS_KEY",
          },
        },
      },
      anyJob: { "any-job": { image: { name: BUILDER, entrypoint: [""] }, tags: ["aws", "graviton"] } },
    });
    const amd = await buildSpackEnvironment({
      definition: { ...definition, arch: "amd64" },
      config,
      context: { isProd: true },
      builderImage: BUILDER,
    });
    expect(written(amd).mirrors["buildcache-destination"]).toMatchObject({
      url: "s3://spack-build-cache-prod",
    });
  });

  it("combines the arch requirement with the user's packages:all:require in every Spack form", async () => {
    const requireOf = async (require: unknown) => {
      const definition = spackDefinition({
        name: "app",
        spack: { specs: ["app"], packages: { all: { require } } },
      });
      const environment = await buildSpackEnvironment({
        definition,
        config,
        context: { isProd: false },
        builderImage: BUILDER,
      });
      return written(environment).packages.all.require;
    };
    expect(await requireOf("%gcc@12.2.0")).toEqual(["%gcc@12 target=x86_64_v3", "%gcc@12.2.0"]);
    expect(await requireOf(["+mpi", "%gcc@12 target=x86_64_v3"])).toEqual([
      "%gcc@12 target=x86_64_v3",
      "+mpi",
    ]);
    expect(await requireOf([{ one_of: ["%gcc", "%clang"] }, { spec: "+shared", when: "@2:" }])).toEqual([
      "%gcc@12 target=x86_64_v3",
      { one_of: ["%gcc", "%clang"] },
      { spec: "+shared", when: "@2:" },
    ]);
  });

  it("writes signed: false when no signing key is configured, and never a credential value", async () => {
    const unsigned: SiteConfig = { ...config, spack: { ...config.spack } };
    delete unsigned.spack.private_key_var;
    const definition = spackDefinition({ name: "app", spack: { specs: ["app"] } });
    const environment = await buildSpackEnvironment({
      definition,
      config: unsigned,
      context: { isProd: false },
      builderImage: BUILDER,
    });
    expect(written(environment).mirrors["buildcache-destination"]).toEqual({
      url: "s3://spack-build-cache",
      binary: true,
      endpoint_url: "https://s3.example.org",
      access_pair: { id_variable: "AWS_CACHE_ACCESS_KEY_ID", secret_variable: "AWS_CACHE_SECRET_ACCESS_KEY" },
      signed: false,
    });
  });

  it("signs only on a protected ref, with the configured private key variable", async () => {
    const definition = spackDefinition({ name: "app", spack: { specs: ["app"] } });
    const build = (isProtected: boolean, privateKey = "SPACK_DEPLOYMENT_KEY_PRIVATE") =>
      buildSpackEnvironment({
        definition,
        config: { ...config, spack: { ...config.spack, private_key_var: privateKey } },
        context: { isProd: isProtected, isProtected },
        builderImage: BUILDER,
      });
    const branch = await build(false);
    expect(branch.yaml).not.toContain("SPACK_DEPLOYMENT_KEY_PRIVATE");
    expect(written(branch).mirrors["buildcache-destination"]).toMatchObject({ signed: false });
    const sections = (environment: SpackEnvironment) => written(environment).ci["pipeline-gen"];
    // Protected: signed (no `signed: false`), and a LAST build-job section imports the key, so its
    // line comes after the template's `setup-env.sh` in Spack's merged before_script.
    const protectedRef = await build(true);
    expect(written(protectedRef).mirrors["buildcache-destination"]).not.toHaveProperty("signed");
    expect(sections(protectedRef)).toEqual([
      ...sections(branch),
      { "build-job": { before_script: ['spack gpg trust "$SPACK_DEPLOYMENT_KEY_PRIVATE"'] } },
    ]);
    const renamed = await build(true, "SITE_SIGNING_KEY");
    expect(renamed.yaml).not.toContain("SPACK_DEPLOYMENT_KEY_PRIVATE");
    expect(sections(renamed).at(-1)).toEqual({
      "build-job": { before_script: ['spack gpg trust "$SITE_SIGNING_KEY"'] },
    });
  });

  it("is deterministic", async () => {
    const definition = spackDefinition({
      name: "app",
      spack: { specs: ["app"], concretizer: { unify: true } },
    });
    const options = { definition, config, context: { isProd: false }, builderImage: BUILDER };
    expect((await buildSpackEnvironment(options)).yaml).toBe((await buildSpackEnvironment(options)).yaml);
  });

  it("locates a conflict in the definition and in the site config", async () => {
    const definitionText = [
      "spack:",
      "  specs:",
      "    - app",
      "  concretizer:",
      "    unify: when_possible",
      "  view:",
      "    default:",
      "      root: /opt/view",
      "",
    ].join("\n");
    const { spack } = parseYaml({ text: definitionText, file: "x" }).value as {
      spack: Record<string, unknown>;
    };
    const definition = spackDefinition({ name: "app", spack });
    expect(
      await problemsOf(
        buildSpackEnvironment({
          definition,
          config,
          context: { isProd: false },
          builderImage: BUILDER,
          sources: { config: { text: configText }, definition: { text: definitionText } },
        }),
      ),
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "ENVIRONMENT_CONFLICT",
          "col": 12,
          "file": "container_definitions/amd64/app.yaml",
          "hint": "remove spack.concretizer.unify from one of them, or write it as "unify::" in the definition to replace the template's value",
          "line": 5,
          "message": "spack.concretizer.unify is "when_possible" in container_definitions/amd64/app.yaml but true in the site template (container_definitions/spacktainers.yaml:58:16); spacktainers cannot merge them",
        },
        {
          "code": "ENVIRONMENT_CONFLICT",
          "col": 5,
          "file": "container_definitions/amd64/app.yaml",
          "hint": "remove spack.view from one of them, or write it as "view::" in the definition to replace the template's value",
          "line": 7,
          "message": "spack.view is a mapping in container_definitions/amd64/app.yaml but false in the site template (container_definitions/spacktainers.yaml:66:13); spacktainers cannot merge them",
        },
      ]
    `);
  });

  it("refuses a definition that defines the build cache mirror itself, and an unknown arch", () => {
    const definition = spackDefinition({
      name: "app",
      spack: { specs: ["app"], mirrors: { "buildcache-destination": "s3://elsewhere" } },
    });
    expect(
      composeSpackEnvironment({ definition, config, context: { isProd: false }, builderImage: BUILDER })
        .problems,
    ).toMatchInlineSnapshot(`
        [
          {
            "code": "ENVIRONMENT_RESERVED",
            "file": "container_definitions/amd64/app.yaml",
            "hint": "remove it; configure the bucket in the site configuration instead",
            "message": "mirrors.buildcache-destination is written by spacktainers from architectures.amd64.cache_bucket",
          },
        ]
      `);
    expect(
      composeSpackEnvironment({
        definition,
        config,
        arch: "riscv64",
        context: { isProd: false },
        builderImage: BUILDER,
      }).problems,
    ).toMatchInlineSnapshot(`
      [
        {
          "code": "ARCH_UNKNOWN",
          "file": "container_definitions/spacktainers.yaml",
          "hint": "add architectures.riscv64 to container_definitions/spacktainers.yaml",
          "message": "architecture "riscv64" is not configured (configured: amd64, arm64)",
        },
      ]
    `);
  });
});
