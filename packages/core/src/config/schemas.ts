/**
 * JSON schemas (draft-07, validated with ajv) of the files users write. `hint` is our own
 * annotation keyword: the text shown after a problem found at that place.
 */

const nonEmptyString = { type: "string", minLength: 1 } as const;
const variableName = {
  type: "string",
  pattern: "^[A-Za-z_][A-Za-z0-9_]*$",
  hint: "give the NAME of a CI variable (e.g. AWS_ACCESS_KEY_ID), never its value",
} as const;

const credentials = {
  type: "object",
  additionalProperties: false,
  required: ["access_key_var", "secret_key_var"],
  properties: { access_key_var: variableName, secret_key_var: variableName },
} as const;

const bucketProperties = {
  name: {
    type: "string",
    pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    hint: "an S3 bucket name: 3-63 lowercase letters, digits, dots and dashes",
  },
  prod_name: { type: "string", pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" },
  endpoint: { type: "string", pattern: "^https?://", hint: "a URL such as https://s3.example.org" },
  credentials,
} as const;

const runnerTags = {
  type: "array",
  minItems: 1,
  items: nonEmptyString,
  hint: "a list of GitLab runner tags",
} as const;

/** Schema of `container_definitions/spacktainers.yaml`. */
export const siteConfigSchema = {
  $id: "https://spacktainers.dev/schemas/spacktainers.json",
  type: "object",
  additionalProperties: false,
  required: ["architectures", "spack"],
  properties: {
    registry: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        image_prefix: { ...nonEmptyString, default: "${CI_REGISTRY_IMAGE}" },
        label_prefix: {
          type: "string",
          pattern: "^[a-z0-9.-]*\\.$",
          default: "ch.epfl.bbpgitlab.",
          hint: "a reverse-DNS prefix ending with a dot",
        },
        user_var: { ...variableName, default: "CI_REGISTRY_USER" },
        password_var: { ...variableName, default: "CI_REGISTRY_PASSWORD" },
        tls_verify: { type: "boolean", default: true },
      },
    },
    architectures: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[a-z0-9][a-z0-9_-]*$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["runner_tags", "spack_requirement", "cache_bucket", "containers_bucket"],
        properties: {
          runner_tags: runnerTags,
          proxy: { type: "boolean", default: false },
          spack_requirement: {
            ...nonEmptyString,
            hint: "a Spack requirement such as '%gcc@12 target=x86_64_v3'",
          },
          variables: {
            type: "object",
            additionalProperties: { type: ["string", "number", "boolean"] },
            default: {},
          },
          cache_bucket: {
            type: "object",
            additionalProperties: false,
            required: ["name", "credentials"],
            properties: { ...bucketProperties, max_age_days: { type: "integer", minimum: 1 } },
          },
          containers_bucket: {
            type: "object",
            additionalProperties: false,
            required: ["name", "credentials"],
            properties: {
              ...bucketProperties,
              prefix: {
                type: "string",
                pattern: "^([^/].*/)?$",
                default: "containers/",
                hint: "empty or a key prefix ending with /",
              },
            },
          },
        },
      },
    },
    docker_hub: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: "boolean", default: false },
        namespace: { type: "string", pattern: "^[a-z0-9]+([._-][a-z0-9]+)*$" },
        repository_prefix: { type: "string", pattern: "^[a-z0-9._-]*$", default: "" },
        user_var: { ...variableName, default: "DOCKERHUB_USER" },
        password_var: { ...variableName, default: "DOCKERHUB_PASSWORD" },
      },
      if: { properties: { enabled: { const: true } }, required: ["enabled"] },
      then: { required: ["namespace"] },
    },
    proxy: {
      type: "object",
      additionalProperties: false,
      required: ["http"],
      properties: {
        http: { type: "string", pattern: "^https?://", hint: "a URL such as http://proxy.example.org:3128" },
        https: { type: "string", pattern: "^https?://", hint: "a URL such as http://proxy.example.org:3128" },
        no_proxy: {
          type: "array",
          items: nonEmptyString,
          default: [],
          hint: "a list of hosts, .domains or addresses reached without the proxy",
        },
      },
    },
    sif_deploy: {
      type: "object",
      additionalProperties: false,
      required: ["runner_tags", "directory"],
      properties: {
        runner_tags: runnerTags,
        directory: { type: "string", pattern: "^/", hint: "an absolute directory" },
      },
    },
    spack: {
      type: "object",
      additionalProperties: false,
      required: ["repository", "branch", "template"],
      properties: {
        repository: {
          ...nonEmptyString,
          hint: "the git URL of Spack, e.g. https://github.com/spack/spack.git",
        },
        branch: nonEmptyString,
        repos: {
          type: "array",
          default: [],
          hint: "a list of package repositories: {url, branch or commit, path}",
          items: {
            type: "object",
            additionalProperties: false,
            required: ["url"],
            properties: {
              url: {
                type: "string",
                pattern: "^[^\\s|]+$",
                hint: "the git URL of a Spack package repository (no spaces or |)",
              },
              branch: { type: "string", pattern: "^[^\\s|]+$" },
              commit: { type: "string", pattern: "^[0-9a-f]{7,40}$", hint: "a commit hash" },
              path: {
                type: "string",
                pattern: "^(?!/)(?!.*(^|/)\\.\\.(/|$))[^\\s|]+$",
                default: ".",
                hint: "the folder of the clone holding repo.yaml, relative (default the clone itself)",
              },
            },
            oneOf: [{ required: ["branch"] }, { required: ["commit"] }],
            hint: "give exactly one of branch or commit",
          },
        },
        public_key_var: variableName,
        private_key_var: variableName,
        template: {
          type: "object",
          required: ["spack"],
          additionalProperties: false,
          properties: { spack: { type: "object" } },
          hint: "a Spack environment: a mapping with one key, spack:",
        },
      },
    },
    // Each version is a build arg of a base image (and so part of its tag); nothing label-only.
    versions: {
      type: "object",
      additionalProperties: false,
      default: {},
      hint: "apptainer (or singularity) and node: the versions installed in the singularitah image",
      properties: {
        apptainer: { type: ["string", "number"] },
        singularity: { type: ["string", "number"] },
        node: { type: ["string", "number"] },
      },
    },
    ci: {
      type: "object",
      additionalProperties: false,
      default: {},
      properties: {
        tools_image: {
          ...nonEmptyString,
          default: "node:20-bookworm",
          hint: "an image with Node.js 20 and git, e.g. node:20-bookworm",
        },
        runner_tags: { type: "array", items: nonEmptyString, default: [] },
        proxy: { type: "boolean", default: false },
        api_token_var: { ...variableName, default: "GITLAB_API_TOKEN" },
      },
    },
  },
} as const;

/** Top-level keys Spack accepts in an environment's `spack:` section (Spack 0.19–1.0). */
export const SPACK_ENVIRONMENT_KEYS = [
  "bootstrap",
  "cdash",
  "ci",
  "compilers",
  "concretizer",
  "config",
  "container",
  "definitions",
  "develop",
  "env_vars",
  "gitlab-ci",
  "include",
  "include_concrete",
  "mirrors",
  "modules",
  "packages",
  "repos",
  "specs",
  "toolchains",
  "upstreams",
  "view",
] as const;

const spackSection = {
  type: "object",
  required: ["specs"],
  propertyNames: {
    enum: SPACK_ENVIRONMENT_KEYS,
    hint: "a top-level key of a Spack environment (specs, packages, concretizer, …)",
  },
  properties: {
    specs: {
      type: "array",
      minItems: 1,
      items: { ...nonEmptyString, hint: "each spec is a string such as 'py-numpy@1.26 +blas'" },
      hint: "list at least one spec; the first names the container's main package",
    },
  },
} as const;

const filesList = {
  type: "array",
  items: {
    type: "string",
    pattern: "^[^:]+:/[^:]*$",
    hint: "write '<source>:<target>' with a source under files/ and an absolute target, e.g. 'files/brayns/run.sh:/opt/run.sh'",
  },
} as const;

const stripSetting = {
  type: "boolean",
  hint: "true (default) strips the ELF binaries of the view and runs ldconfig on its libraries; false keeps them as installed",
} as const;

/** Schema of a file-form definition `<arch>/<name>.yaml`. */
export const definitionFileSchema = {
  $id: "https://spacktainers.dev/schemas/definition.json",
  type: "object",
  additionalProperties: false,
  required: ["spack"],
  properties: {
    spack: spackSection,
    spacktainer: {
      type: "object",
      additionalProperties: false,
      properties: { files: filesList, strip: stripSetting },
    },
  },
} as const;

/** Schema of a folder-form `<arch>/<name>/spack.yaml` (a pure Spack environment). */
export const spackEnvironmentFileSchema = {
  $id: "https://spacktainers.dev/schemas/spack-environment.json",
  type: "object",
  additionalProperties: false,
  required: ["spack"],
  properties: { spack: spackSection },
} as const;

/** Schema of a folder-form `<arch>/<name>/spacktainer.yaml`. */
export const spacktainerFileSchema = {
  $id: "https://spacktainers.dev/schemas/spacktainer.json",
  type: "object",
  additionalProperties: false,
  properties: { files: filesList, strip: stripSetting },
} as const;
