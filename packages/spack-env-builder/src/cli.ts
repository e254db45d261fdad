import { createRequire } from "node:module";
import { relative, resolve } from "node:path";
import {
  type CliSpec,
  type CommandIo,
  type ContainerDefinition,
  credentialVariableNames,
  dateFlag,
  defineCommand,
  describeContainer,
  type FlagTable,
  InputInvalidError,
  type Problem,
  readCiContext,
  SITE_CONFIG_PATH,
  type SiteConfig,
} from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { readSpackLockFile } from "./read-spack-lock-file.js";
import { writeSpackEnvironments } from "./write-spack-environments.js";

const PROGRAM = "spacktainers-spack-env";
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

const commonFlags = {
  arch: {
    type: "string",
    description: "architecture (a key of architectures in the site config)",
    placeholder: "ARCH",
    required: true,
  },
  root: {
    type: "string",
    description: "repository root holding container_definitions/",
    placeholder: "DIR",
    env: "CI_PROJECT_DIR",
  },
} as const satisfies FlagTable;

type Selection = { config: SiteConfig; definitions: ContainerDefinition[]; root: string };

/**
 * Loads the config and the definitions of one architecture (and one container). Problems of
 * other architectures do not block: `describe` of one container must work while another
 * container's definition is being fixed.
 */
async function select(
  context: CommandIo,
  {
    root: rootFlag,
    arch,
    container,
  }: { root: string | undefined; arch: string; container: string | undefined },
): Promise<Selection> {
  const root = resolve(context.cwd, rootFlag ?? ".");
  const loaded = await loadDefinitions({ root });
  if (loaded.config) context.maskVariables(credentialVariableNames(loaded.config));
  const archFolder = `container_definitions/${arch}/`;
  const relevant = loaded.problems.filter(
    (problem) =>
      problem.file === SITE_CONFIG_PATH ||
      problem.file.startsWith(archFolder) ||
      !problem.file.startsWith("container_definitions/"),
  );
  context.warn(loaded.warnings);
  if (relevant.length > 0 || !loaded.config) {
    throw new InputInvalidError({
      code: "DEFINITIONS_INVALID",
      problems: relevant.length > 0 ? relevant : loaded.problems,
    });
  }
  const config = loaded.config;
  if (!config.architectures[arch]) {
    throw new InputInvalidError({
      code: "ARCH_UNKNOWN",
      problems: [
        {
          code: "ARCH_UNKNOWN",
          message: `architecture "${arch}" is not configured; configured: ${Object.keys(config.architectures).join(", ")}`,
          hint: `add architectures.${arch} to ${SITE_CONFIG_PATH}, or pick a configured one`,
          file: SITE_CONFIG_PATH,
        },
      ],
    });
  }
  let definitions = loaded.definitions.filter((definition) => definition.arch === arch);
  if (container !== undefined) {
    definitions = definitions.filter((definition) => definition.name === container);
    if (definitions.length === 0) {
      const known = loaded.definitions.filter((definition) => definition.arch === arch).map((d) => d.name);
      throw new InputInvalidError({
        code: "CONTAINER_UNKNOWN",
        problems: [
          {
            code: "CONTAINER_UNKNOWN",
            message: `there is no container "${container}" for ${arch}; containers: ${known.join(", ") || "none"}`,
            hint: `define it as ${archFolder}${container}.yaml (or ${container}/spack.yaml, or ${container}.def)`,
            file: archFolder.slice(0, -1),
          },
        ],
      });
    }
  }
  return { config, definitions, root };
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shortPath(cwd: string, path: string): string {
  const inside = relative(cwd, path);
  return inside === "" ? "." : inside.startsWith("..") ? path : inside;
}

const write = defineCommand({
  name: "write",
  summary: "write the Spack environment of every container of an architecture (or of one)",
  usage: "write --arch ARCH [--container NAME] --out DIR [--root DIR] [--builder-image REF] [--json]",
  details: [
    "Writes <out>/<arch>/<name>/spack.yaml for each Spack container: the site template merged",
    "with the definition, the arch's requirement in packages:all:require, its build cache as",
    "mirror buildcache-destination, and the builder image and runner tags in ci:pipeline-gen.",
    "Custom (.def) containers have no environment and are skipped. All files are written or",
    "none. A merge conflict is reported as file:line:col in both files (exit 2).",
    "",
    "The cache bucket is the prod one when CI_COMMIT_REF_NAME equals CI_DEFAULT_BRANCH.",
  ].join("\n"),
  flags: {
    ...commonFlags,
    container: { type: "string", description: "only this container", placeholder: "NAME" },
    out: { type: "string", description: "output folder", placeholder: "DIR", required: true },
    "builder-image": {
      type: "string",
      description: "image of Spack's build jobs (default <registry.image_prefix>/builder:latest)",
      placeholder: "REF",
      env: "SPACKTAINERS_BUILDER_IMAGE",
    },
  },
  async run(context) {
    const { arch, container } = context.flags;
    const out = resolve(context.cwd, context.flags.out);
    const { config, definitions, root } = await select(context, {
      root: context.flags.root,
      arch,
      container,
    });
    const only = definitions[0];
    if (container !== undefined && only?.kind === "custom") {
      throw new InputInvalidError({
        code: "CONTAINER_NOT_SPACK",
        problems: [
          {
            code: "CONTAINER_NOT_SPACK",
            message: `container "${only.name}" is a custom (.def) container; it has no Spack environment`,
            file: only.path,
          },
        ],
      });
    }
    const builderImage =
      context.flags["builder-image"] ?? `${config.registry.image_prefix.replace(/\/+$/, "")}/builder:latest`;
    // An environment does not depend on the time; only on prod or not (the bucket).
    const ciContext = readCiContext({ env: context.env, now: new Date(0) });
    const result = await writeSpackEnvironments({
      definitions,
      config,
      context: ciContext,
      builderImage,
      root,
      out,
    });
    context.warn(result.warnings);
    const files = result.files.map((file) => shortPath(context.cwd, file));
    if (context.flags.json) context.json({ files, warnings: result.warnings });
    else for (const file of files) context.out(`${file}\n`);
    const count = files.length === 1 ? "1 environment" : `${files.length} environments`;
    context.log(`${PROGRAM}: wrote ${count} for ${arch} to ${shortPath(context.cwd, out)}`);
    return 0;
  },
});

const describe = defineCommand({
  name: "describe",
  summary: "print a container's version, tag, image, SIF name and key, checksums and labels",
  usage: "describe --arch ARCH --container NAME --lock PATH [--root DIR] [--json]",
  details: [
    "The version is the concrete version of the main package's root in spack.lock (lockfile",
    "versions 4, 5 and 6). The tag follows CI_COMMIT_REF_NAME / CI_DEFAULT_BRANCH /",
    "CI_COMMIT_REF_SLUG; labels use CI_COMMIT_SHA and CI_PROJECT_URL. Custom (.def) containers",
    "need no --lock. An unreadable lock, an unsupported lockfile version or a lock without the",
    "main package among its roots exits 2.",
  ].join("\n"),
  flags: {
    ...commonFlags,
    container: { type: "string", description: "the container", placeholder: "NAME", required: true },
    lock: { type: "string", description: "its spack.lock", placeholder: "PATH" },
    "builder-digest": {
      type: "string",
      description: "digest of the builder image used (a label)",
      placeholder: "SHA256",
    },
    "runtime-digest": {
      type: "string",
      description: "digest of the runtime image used (a label)",
      placeholder: "SHA256",
    },
    "spack-commit": {
      type: "string",
      description: "Spack commit, when the lock does not record it",
      placeholder: "SHA",
    },
    now: {
      type: "string",
      description: "creation time of the image label (ISO 8601; default: now)",
      placeholder: "TIME",
      env: "SPACKTAINERS_NOW",
      parse: dateFlag,
    },
  },
  async run(context) {
    const { arch, container } = context.flags;
    const now = context.flags.now ?? new Date();
    const { config, definitions } = await select(context, { root: context.flags.root, arch, container });
    const definition = definitions[0]!;
    const problems: Problem[] = [];
    if (definition.kind === "spack" && context.flags.lock === undefined) {
      problems.push({
        code: "LOCK_MISSING",
        message: `container "${container}" is built from a Spack environment: give its spack.lock with --lock`,
        file: definition.path,
      });
      throw new InputInvalidError({ code: "LOCK_MISSING", problems });
    }
    const lock =
      context.flags.lock === undefined
        ? undefined
        : await readSpackLockFile({
            path: resolve(context.cwd, context.flags.lock),
            file: context.flags.lock,
          });
    const identity = await describeContainer({
      definition,
      ...(lock ? { lock } : {}),
      context: readCiContext({ env: context.env, now }),
      config,
      arch,
      baseImages: {
        ...(context.flags["builder-digest"] ? { builder: context.flags["builder-digest"] } : {}),
        ...(context.flags["runtime-digest"] ? { runtime: context.flags["runtime-digest"] } : {}),
      },
      ...(context.flags["spack-commit"] ? { spackCommit: context.flags["spack-commit"] } : {}),
    });
    if (context.flags.json) {
      context.json(identity);
      return 0;
    }
    const { labels, sifMetadata, ...facts } = identity;
    const lines = Object.entries(facts).map(([key, value]) => `${key}: ${String(value)}`);
    lines.push("sifMetadata:", ...Object.entries(sifMetadata).map(([key, value]) => `  ${key}: ${value}`));
    lines.push("labels:", ...Object.entries(labels).map(([key, value]) => `  ${key}: ${value}`));
    context.out(`${lines.join("\n")}\n`);
    return 0;
  },
});

/** The `spacktainers-spack-env` CLI. */
export const cli: CliSpec = {
  name: PROGRAM,
  version,
  description:
    "Writes one Spack environment per container and architecture, and describes a container's identity (version, tag, SIF, checksums, labels) from its spack.lock.",
  commands: [write, describe],
};
