import { resolve } from "node:path";
import {
  type CliSpec,
  type CommandContext,
  type ContainerDefinition,
  credentialVariableNames,
  defineCommand,
  formatProblem,
  type ImageReference,
  InputInvalidError,
  UsageError,
  type Warning,
} from "@spacktainers/core";
import { type LoadDefinitionsResult, loadDefinitions } from "./load-definitions.js";

const rootFlag = {
  root: {
    type: "string",
    description: "repository root holding container_definitions/ and files/",
    placeholder: "DIR",
    env: "CI_PROJECT_DIR",
  },
  // runCli handles --json for every command; declared here so the flag is typed.
  json: { type: "boolean", description: "machine-readable result on stdout" },
} as const;

const PROGRAM = "spacktainers-definitions";

async function load(context: CommandContext<typeof rootFlag>): Promise<LoadDefinitionsResult> {
  const root = resolve(context.cwd, context.flags.root ?? ".");
  const result = await loadDefinitions({ root });
  if (result.config) context.maskVariables(credentialVariableNames(result.config));
  return result;
}

function printWarnings(context: CommandContext<typeof rootFlag>, warnings: Warning[]): void {
  for (const warning of warnings) context.log(`warning: ${formatProblem(warning)}`);
}

function summary(definitions: ContainerDefinition[]): string {
  const perArch = new Map<string, number>();
  for (const definition of definitions) perArch.set(definition.arch, (perArch.get(definition.arch) ?? 0) + 1);
  const containers = definitions.length === 1 ? "1 container" : `${definitions.length} containers`;
  const arches = perArch.size === 1 ? "1 architecture" : `${perArch.size} architectures`;
  const detail = [...perArch].map(([arch, count]) => `${arch}: ${count}`).join(", ");
  return `${containers} over ${arches}${detail ? ` (${detail})` : ""}`;
}

const validate = defineCommand({
  name: "validate",
  summary: "check the site configuration and every container definition; report all problems",
  usage: "validate [--root DIR] [--json]",
  details: [
    "Reads container_definitions/spacktainers.yaml and container_definitions/<arch>/ (folders",
    "starting with _ are skipped). Prints one summary line on stderr, or every problem as",
    "file:line:col and exits 2. With --json, prints {valid, containers, problems, warnings}.",
    "The definitions only: 'spacktainers validate' checks the same and, in addition, that",
    ".gitlab-ci.yml is in step with the site configuration (the check a pipeline runs).",
  ].join("\n"),
  flags: rootFlag,
  async run(context) {
    const result = await load(context);
    const { definitions, problems, warnings } = result;
    if (context.flags.json) {
      context.json({ valid: problems.length === 0, containers: definitions.length, problems, warnings });
    }
    printWarnings(context, warnings);
    if (problems.length > 0) throw new InputInvalidError({ problems, code: "DEFINITIONS_INVALID" });
    const warned =
      warnings.length === 0 ? "" : `, ${warnings.length} warning${warnings.length === 1 ? "" : "s"}`;
    context.log(`${PROGRAM}: valid: ${summary(definitions)}${warned}`);
    return 0;
  },
});

const list = defineCommand({
  name: "list",
  summary: "print the parsed container definitions (a table, or JSON with --json)",
  usage: "list [--root DIR] [--arch ARCH] [--json]",
  details: [
    "Prints one row per container and architecture: name, arch, kind/form, main package or",
    "source image, checksum, copied files and epilogue. --json prints {definitions, warnings}",
    "with every field of each definition. Invalid definitions make it exit 2 like validate.",
  ].join("\n"),
  flags: {
    ...rootFlag,
    arch: { type: "string", description: "only this architecture", placeholder: "ARCH" },
  },
  async run(context) {
    const { config, definitions, problems, warnings } = await load(context);
    printWarnings(context, warnings);
    if (problems.length > 0) throw new InputInvalidError({ problems, code: "DEFINITIONS_INVALID" });
    const arch = context.flags.arch;
    if (arch !== undefined && config && !(arch in config.architectures)) {
      throw new UsageError(
        `unknown architecture "${arch}" for --arch; configured: ${Object.keys(config.architectures).join(", ")}`,
      );
    }
    const selected = arch === undefined ? definitions : definitions.filter((d) => d.arch === arch);
    if (context.flags.json) {
      context.json({ definitions: selected.map(toJson), warnings });
      return 0;
    }
    context.out(formatTable(selected));
    return 0;
  },
});

/** A definition as printed by `list --json`: every field, file locations flattened to strings. */
function toJson(definition: ContainerDefinition): Record<string, unknown> {
  if (definition.kind === "custom") return { ...definition };
  return {
    ...definition,
    files: definition.files.map(({ source, target, type }) => ({ source, target, type })),
    epilogue: definition.epilogue ?? null,
  };
}

/** `registry/repo:tag` as resolved (a missing tag shown as latest), or as written when pinned by digest. */
function describeImage(source: ImageReference): string {
  if (source.digest) return source.original;
  return `${source.registry ? `${source.registry}/` : ""}${source.repository}:${source.tag}`;
}

function formatTable(definitions: ContainerDefinition[]): string {
  const header = [
    "ARCH",
    "NAME",
    "KIND",
    "MAIN PACKAGE / SOURCE IMAGE",
    "CHECKSUM",
    "FILES",
    "EPILOGUE",
    "PATH",
  ];
  const rows = definitions.map((d) => [
    d.arch,
    d.name,
    `${d.kind}/${d.form}`,
    d.kind === "spack" ? d.mainPackage : describeImage(d.source),
    d.checksum.slice(0, 12),
    d.kind === "spack" && d.files.length > 0 ? String(d.files.length) : "-",
    d.kind === "spack" && d.epilogue !== undefined ? "yes" : "-",
    d.path,
  ]);
  if (rows.length === 0) return "no containers\n";
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  return `${[header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

/** The `spacktainers-definitions` command line. */
export const cli: CliSpec = {
  name: PROGRAM,
  version: "0.1.0",
  description:
    "Finds and validates spacktainers container definitions under container_definitions/<arch>/ (Spack environments in file or folder form, Singularity .def files).",
  commands: [validate, list],
};
