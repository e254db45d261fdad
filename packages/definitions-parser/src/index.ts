/**
 * `@spacktainers/definitions-parser`: finds and validates the container definitions of a
 * spacktainers repository (`container_definitions/<arch>/`), with a Spack spec tokenizer, the
 * `.def` header parser and the `files:` rules. Functions return data, problems and warnings;
 * they never print.
 */

export type { FindDefinitionsOptions, FindDefinitionsResult } from "./find-definitions.js";
export { DEFINITIONS_DIR, findDefinitions, sortProblems } from "./find-definitions.js";
export type { LoadDefinitionsOptions, LoadDefinitionsResult } from "./load-definitions.js";
export { loadDefinitions } from "./load-definitions.js";
export type { LoadSiteConfigOptions } from "./load-site-config.js";
export { loadSiteConfig } from "./load-site-config.js";
export type { ParseDefFileOptions } from "./parse-def-file.js";
export { parseDefFile } from "./parse-def-file.js";
export type { FilesEntry, ResolveContainerFilesOptions } from "./resolve-container-files.js";
export { FILES_DIR, resolveContainerFiles } from "./resolve-container-files.js";
export type { SpecPackages, SpecToken, SpecTokenKind } from "./tokenize-spec.js";
export { mainPackageOfSpec, parseSpecPackages, SpecSyntaxError, tokenizeSpec } from "./tokenize-spec.js";
