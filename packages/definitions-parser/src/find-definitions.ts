import type { Dirent } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type ChecksumEntry,
  CONTAINER_NAME_PATTERN,
  type ContainerDefinition,
  closestName,
  containerChecksum,
  definitionFileSchema,
  INPUT_LIMITS,
  naturalCompare,
  type ParsedYaml,
  type Problem,
  parseYamlWithSchema,
  SITE_CONFIG_PATH,
  type SiteConfig,
  type SourceLocation,
  spackEnvironmentFileSchema,
  spacktainerFileSchema,
  type Warning,
} from "@spacktainers/core";
import { isInsideFolder, readInputFile } from "@spacktainers/core/node";
import { parseDefFile } from "./parse-def-file.js";
import { type FilesEntry, resolveContainerFiles } from "./resolve-container-files.js";
import { parseSpecPackages, SpecSyntaxError } from "./tokenize-spec.js";

/** Folder, relative to the repository root, that holds the definitions. */
export const DEFINITIONS_DIR = "container_definitions";

/** Files a folder-form definition may hold. */
const FOLDER_FILES = {
  spack: "spack.yaml",
  epilogue: "Dockerfile.epilogue",
  spacktainer: "spacktainer.yaml",
} as const;

export interface FindDefinitionsOptions {
  /** Repository root (absolute, or relative to the working directory). */
  root: string;
  /**
   * The site configuration. Only folders of its architectures are read; any other folder not
   * starting with `_` is a problem (a misspelt `amd46/` would silently drop its containers
   * from CI). Without it, every folder not starting with `_` is read as an architecture — useful
   * to report definition problems even when the config itself is broken.
   */
  config?: Pick<SiteConfig, "architectures">;
}

/** What {@link findDefinitions} found. */
export type FindDefinitionsResult = {
  /** Valid definitions, sorted by architecture then name (natural order). */
  definitions: ContainerDefinition[];
  /** Every problem found, sorted by file and position. Definitions with problems are left out. */
  problems: Problem[];
  /** Things that do not stop a build (an ignored file). */
  warnings: Warning[];
};

type Candidate = { name: string; arch: string; form: "file" | "folder" | "def"; path: string };

type SpackSection = { specs: string[] } & Record<string, unknown>;

/**
 * Finds every container definition under `<root>/container_definitions/<arch>/` in its three
 * forms: `<name>.yaml`, `<name>/spack.yaml` (+ `Dockerfile.epilogue`,
 * `spacktainer.yaml`) and `<name>.def`. Folders starting with `_` are disabled and skipped.
 * Validates each against the core schemas, the Spack spec grammar, the `.def` header and the
 * `files:` rules, and computes the container checksum. Every file is read inside the
 * repository only (symlink loops and links out are refused) and within `INPUT_LIMITS`. Never
 * throws for bad input: every problem is returned with its `file:line:col`.
 */
export async function findDefinitions({
  root,
  config,
}: FindDefinitionsOptions): Promise<FindDefinitionsResult> {
  const problems: Problem[] = [];
  const warnings: Warning[] = [];
  const definitions: ContainerDefinition[] = [];
  let archFolders: Dirent[];
  try {
    archFolders = await readdir(join(root, DEFINITIONS_DIR), { withFileTypes: true });
  } catch {
    problems.push({
      code: "DEFINITIONS_MISSING",
      message: `there is no ${DEFINITIONS_DIR}/ folder in ${root}`,
      hint: `run in the repository root (or pass --root), and put definitions in ${DEFINITIONS_DIR}/<arch>/<name>.yaml`,
      file: DEFINITIONS_DIR,
    });
    return { definitions, problems, warnings };
  }
  const configured = config ? Object.keys(config.architectures) : undefined;
  const folders = await architectureFolders(root, archFolders, problems);
  for (const arch of folders) {
    // `_arm64`: the reference's way to switch an architecture off while keeping its definitions.
    if (arch.startsWith("_") || arch.startsWith(".")) continue;
    // A folder in place of spacktainers.yaml is reported by the config loader, not read as an arch.
    if (`${DEFINITIONS_DIR}/${arch}` === SITE_CONFIG_PATH) continue;
    if (configured && !configured.includes(arch)) {
      const suggestion = closestName(arch, configured);
      problems.push({
        code: "ARCH_NOT_CONFIGURED",
        message: `folder ${DEFINITIONS_DIR}/${arch}/ is not a configured architecture${suggestion ? `; did you mean ${suggestion}?` : ""} (configured: ${configured.join(", ")})`,
        hint: `${suggestion ? `rename the folder to ${suggestion}, ` : ""}add architectures.${arch} to ${DEFINITIONS_DIR}/spacktainers.yaml, or rename the folder to _${arch} to switch it off`,
        file: `${DEFINITIONS_DIR}/${arch}`,
      });
      continue;
    }
    const found = await findCandidates(root, arch, problems, warnings);
    for (const candidate of found) {
      const definition = await readDefinition(root, candidate, problems, warnings);
      if (definition) definitions.push(definition);
    }
  }
  definitions.sort((a, b) => naturalCompare(a.arch, b.arch) || naturalCompare(a.name, b.name));
  return { definitions, problems: sortProblems(problems), warnings: sortProblems(warnings) };
}

/**
 * Names of the folders under container_definitions/, sorted. A symlink counts when it resolves
 * to a folder inside the repository (`arm64 -> amd64` shares definitions); a symlink loop, a
 * dangling link or one leading out of the repository is a problem, not a silently skipped arch.
 */
async function architectureFolders(root: string, entries: Dirent[], problems: Problem[]): Promise<string[]> {
  const names: string[] = [];
  const realRoot = await realpath(root);
  for (const entry of [...entries].sort(byName)) {
    if (entry.isDirectory()) names.push(entry.name);
    if (!entry.isSymbolicLink() || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const file = `${DEFINITIONS_DIR}/${entry.name}`;
    let real: string | undefined;
    let reason: string | undefined;
    try {
      real = await realpath(join(root, DEFINITIONS_DIR, entry.name));
    } catch (error) {
      reason =
        (error as NodeJS.ErrnoException).code === "ELOOP" ? "is a symlink loop" : "is a dangling symlink";
    }
    if (real !== undefined && !isInsideFolder(real, realRoot))
      reason = "is a symlink to a folder outside the repository";
    else if (real !== undefined && (await stat(real)).isDirectory()) names.push(entry.name);
    if (reason)
      problems.push({
        code: "ARCH_FOLDER_INVALID",
        message: `${file} ${reason}; its definitions cannot be read`,
        hint: "make it a real folder of the repository, or rename it to start with _ to switch it off",
        file,
      });
  }
  return names;
}

function byName(a: Dirent, b: Dirent): number {
  return naturalCompare(a.name, b.name);
}

/** Problems in a stable order: by file, then line, then column. */
export function sortProblems<T extends Problem>(problems: T[]): T[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
}

async function findCandidates(
  root: string,
  arch: string,
  problems: Problem[],
  warnings: Warning[],
): Promise<Candidate[]> {
  const dir = `${DEFINITIONS_DIR}/${arch}`;
  const entries = (await readdir(join(root, dir), { withFileTypes: true })).sort(byName);
  const byContainer = new Map<string, Candidate[]>();
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = `${dir}/${entry.name}`;
    let candidate: Candidate | undefined;
    if (entry.isDirectory())
      candidate = { name: entry.name, arch, form: "folder", path: `${path}/${FOLDER_FILES.spack}` };
    else if (entry.name.endsWith(".yaml"))
      candidate = { name: entry.name.slice(0, -5), arch, form: "file", path };
    else if (entry.name.endsWith(".def"))
      candidate = { name: entry.name.slice(0, -4), arch, form: "def", path };
    else if (entry.name.endsWith(".yml")) {
      problems.push({
        code: "DEFINITION_EXTENSION",
        message: `${entry.name} is not read: definitions end with .yaml`,
        hint: `rename it to ${entry.name.slice(0, -4)}.yaml`,
        file: path,
      });
    } else {
      warnings.push({
        code: "FILE_IGNORED",
        message: `${entry.name} is ignored: a definition is <name>.yaml, <name>.def or a folder <name>/ with spack.yaml`,
        file: path,
      });
    }
    if (!candidate) continue;
    if (!CONTAINER_NAME_PATTERN.test(candidate.name)) {
      problems.push({
        code: "NAME_INVALID",
        message: `container name "${candidate.name}" is not allowed: it must match ^[a-z0-9][a-z0-9._-]*$ and hold no "__"`,
        hint: `rename it using lowercase letters, digits, ".", "_" and "-", starting with a letter or digit; "__" separates the parts of tags and SIF names (e.g. "${suggestName(candidate.name)}")`,
        file: entry.isDirectory() ? path : candidate.path,
      });
      continue;
    }
    const list = byContainer.get(candidate.name) ?? [];
    list.push(candidate);
    byContainer.set(candidate.name, list);
  }
  const candidates: Candidate[] = [];
  for (const [name, list] of byContainer) {
    if (list.length > 1) {
      const paths = list.map((candidate) =>
        candidate.form === "folder" ? `${dir}/${name}/` : candidate.path,
      );
      for (const path of paths) {
        problems.push({
          code: "NAME_DUPLICATE",
          message: `container "${name}" is defined more than once for ${arch}: ${paths.join(" and ")}`,
          hint: "keep one definition per name and architecture (file form, folder form or .def)",
          file: path.replace(/\/$/, ""),
        });
      }
      continue;
    }
    candidates.push(list[0]!);
  }
  return candidates;
}

function suggestName(name: string): string {
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/__+/g, "_");
  return suggestion === "" ? "my-container" : suggestion;
}

/**
 * Reads an input file of a definition within its size limit, inside the repository; a refused
 * file becomes a problem. `undefined` when it is missing or refused.
 */
async function readInput(
  root: string,
  path: string,
  problems: Problem[],
  kind: "yaml" | "text",
  what: string,
): Promise<{ bytes: Buffer; text: string } | undefined> {
  const read = await readInputFile({
    root,
    path,
    maxBytes: kind === "yaml" ? INPUT_LIMITS.yamlFileBytes : INPUT_LIMITS.textFileBytes,
    text: true,
    what,
  });
  if (read.status === "refused") problems.push(read.problem);
  return read.status === "read" ? read : undefined;
}

/** What a Spack definition's files gave, before its specs are checked. */
type SpackSources = {
  checksumEntries: ChecksumEntry[];
  epilogue?: string;
  filesEntries: FilesEntry[];
  strip: boolean;
  spack?: SpackSection;
  parsedSpack?: ParsedYaml;
};

/** Where `spack.specs` is in both forms of a Spack definition. */
const SPECS_PATH = ["spack", "specs"];

async function readDefinition(
  root: string,
  candidate: Candidate,
  problems: Problem[],
  warnings: Warning[],
): Promise<ContainerDefinition | undefined> {
  const { name, arch, path } = candidate;
  if (candidate.form === "def") return readDefDefinition(root, candidate, problems);
  const problemCount = problems.length;
  const sources =
    candidate.form === "file"
      ? await readSpackFile(root, path, problems)
      : await readSpackFolder(root, candidate, problems, warnings);
  if (!sources) return undefined;
  const { spack, parsedSpack, checksumEntries, epilogue, strip } = sources;
  const mainPackage = spack && parsedSpack ? checkSpecs(spack, parsedSpack, problems) : undefined;
  const files = await resolveContainerFiles({ root, entries: sources.filesEntries });
  problems.push(...files.problems);
  if (problems.length > problemCount || !spack || mainPackage === undefined) return undefined;
  checksumEntries.push(...files.checksumEntries);
  return {
    kind: "spack",
    form: candidate.form,
    name,
    arch,
    path,
    spack,
    specs: [...spack.specs],
    mainPackage,
    files: files.files,
    ...(epilogue !== undefined ? { epilogue } : {}),
    strip,
    ...checksumOf(checksumEntries),
  };
}

/** A Singularity `.def` file wrapping a registry image. */
async function readDefDefinition(
  root: string,
  { name, arch, path }: Candidate,
  problems: Problem[],
): Promise<ContainerDefinition | undefined> {
  const read = await readInput(root, path, problems, "text", "definition");
  if (!read) return undefined;
  const { bytes, text } = read;
  const result = parseDefFile({ text, file: path });
  problems.push(...result.problems);
  if (!result.value) return undefined;
  return {
    kind: "custom",
    form: "def",
    name,
    arch,
    path,
    source: result.value.source,
    text,
    ...checksumOf([{ path, bytes }]),
  };
}

/** `<name>.yaml`: the `spack:` section and an optional `spacktainer:` section in one file. */
async function readSpackFile(
  root: string,
  path: string,
  problems: Problem[],
): Promise<SpackSources | undefined> {
  const read = await readInput(root, path, problems, "yaml", "definition");
  if (!read) return undefined;
  const result = parseYamlWithSchema<{
    spack: SpackSection;
    spacktainer?: { files?: string[]; strip?: boolean };
  }>({ text: read.text, file: path, schema: definitionFileSchema });
  problems.push(...result.problems);
  const sources: SpackSources = {
    checksumEntries: [{ path, bytes: read.bytes }],
    filesEntries: [],
    strip: true,
  };
  if (!result.value) return sources;
  return {
    ...sources,
    spack: result.value.spack,
    parsedSpack: result.parsed,
    strip: result.value.spacktainer?.strip ?? true,
    filesEntries: (result.value.spacktainer?.files ?? []).map((text, index) => ({
      text,
      location: result.parsed.locate(["spacktainer", "files", index]),
    })),
  };
}

/** A definition folder: `spack.yaml`, and optionally the Dockerfile epilogue and `spacktainer.yaml`. */
async function readSpackFolder(
  root: string,
  { name, arch, path }: Candidate,
  problems: Problem[],
  warnings: Warning[],
): Promise<SpackSources> {
  const sources: SpackSources = { checksumEntries: [], filesEntries: [], strip: true };
  const folder = `${DEFINITIONS_DIR}/${arch}/${name}`;
  const entries = await readdir(join(root, folder), { withFileTypes: true });
  const known = new Set<string>(Object.values(FOLDER_FILES));
  for (const entry of entries.sort(byName)) {
    if (known.has(entry.name) || entry.name.startsWith(".")) continue;
    const message = entry.name.endsWith(".yml")
      ? `${entry.name} is not read: did you mean ${entry.name.slice(0, -4)}.yaml?`
      : `${entry.name} is ignored: a definition folder holds ${Object.values(FOLDER_FILES).join(", ")}`;
    warnings.push({ code: "FILE_IGNORED", message, file: `${folder}/${entry.name}` });
  }
  const countBefore = problems.length;
  const read = await readInput(root, path, problems, "yaml", "definition");
  if (!read && problems.length === countBefore) {
    problems.push({
      code: "DEFINITION_MISSING",
      message: `folder ${folder}/ has no ${FOLDER_FILES.spack}`,
      hint: `add ${folder}/${FOLDER_FILES.spack} with a spack: section listing specs, or rename the folder to start with _ if it is not a container`,
      file: folder,
    });
  } else if (read) {
    sources.checksumEntries.push({ path, bytes: read.bytes });
    const result = parseYamlWithSchema<{ spack: SpackSection }>({
      text: read.text,
      file: path,
      schema: spackEnvironmentFileSchema,
    });
    problems.push(...result.problems);
    if (result.value) {
      sources.spack = result.value.spack;
      sources.parsedSpack = result.parsed;
    }
  }
  const epiloguePath = `${folder}/${FOLDER_FILES.epilogue}`;
  // Appended verbatim to a Dockerfile: it must be text.
  const epilogueRead = await readInput(root, epiloguePath, problems, "text", "Dockerfile epilogue");
  if (epilogueRead) {
    sources.epilogue = epilogueRead.text;
    sources.checksumEntries.push({ path: epiloguePath, bytes: epilogueRead.bytes });
  }
  const spacktainerPath = `${folder}/${FOLDER_FILES.spacktainer}`;
  const spacktainerRead = await readInput(root, spacktainerPath, problems, "yaml", "container settings file");
  if (spacktainerRead) {
    sources.checksumEntries.push({ path: spacktainerPath, bytes: spacktainerRead.bytes });
    const result = parseYamlWithSchema<{ files?: string[]; strip?: boolean }>({
      text: spacktainerRead.text,
      file: spacktainerPath,
      schema: spacktainerFileSchema,
    });
    problems.push(...result.problems);
    if (result.value) {
      sources.strip = result.value.strip ?? true;
      sources.filesEntries = (result.value.files ?? []).map((text, index) => ({
        text,
        location: result.parsed.locate(["files", index]),
      }));
    }
  }
  return sources;
}

/** Checks every spec's syntax and the count; returns the main package (the first spec's root). */
function checkSpecs(spack: SpackSection, parsedSpack: ParsedYaml, problems: Problem[]): string | undefined {
  if (spack.specs.length > INPUT_LIMITS.specsPerContainer) {
    problems.push({
      code: "SPECS_TOO_MANY",
      message: `spack.specs lists ${spack.specs.length.toLocaleString("en-US")} specs, over the limit of ${INPUT_LIMITS.specsPerContainer.toLocaleString("en-US")} per container`,
      hint: "split the environment into several containers, or list only the root specs (Spack adds their dependencies itself)",
      ...parsedSpack.locate(SPECS_PATH),
    });
    return undefined;
  }
  let mainPackage: string | undefined;
  for (const [index, spec] of spack.specs.entries()) {
    try {
      const packages = parseSpecPackages(spec);
      if (index === 0) mainPackage = packages.root;
    } catch (error) {
      if (!(error instanceof SpecSyntaxError)) throw error;
      const location: SourceLocation = parsedSpack.locate([...SPECS_PATH, index]);
      problems.push({
        code: "SPEC_INVALID",
        message: `spec ${JSON.stringify(spec)}: ${error.message}`,
        hint:
          index === 0
            ? "the first spec names the container's main package (its version becomes the image version); write it as <package>[@version][+variant…], e.g. py-numpy@1.26+blas"
            : "write the spec as Spack expects it, e.g. py-numpy@1.26 +blas ^openblas",
        ...location,
      });
    }
  }
  return mainPackage;
}

/** Checksum and sorted inputs; a file copied twice (a folder and a file in it) counts once. */
function checksumOf(entries: ChecksumEntry[]): { checksum: string; checksumInputs: string[] } {
  const unique = new Map<string, ChecksumEntry>();
  for (const entry of entries) unique.set(entry.path, entry);
  const inputs = [...unique.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { checksum: containerChecksum([...unique.values()]), checksumInputs: inputs };
}
