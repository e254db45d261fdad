import { resolve } from "node:path";
import type { ContainerDefinition, Problem, SiteConfig, Warning } from "@spacktainers/core";
import { findDefinitions, sortProblems } from "./find-definitions.js";
import { loadSiteConfig } from "./load-site-config.js";

export interface LoadDefinitionsOptions {
  /** Repository root (absolute, or relative to the working directory). */
  root: string;
}

/** What {@link loadDefinitions} found. */
export type LoadDefinitionsResult = {
  /** The site configuration, when it is valid. */
  config?: SiteConfig;
  /** Valid definitions of configured architectures, sorted by architecture then name. */
  definitions: ContainerDefinition[];
  /** Every problem of the config and of the definitions, sorted by file and position. */
  problems: Problem[];
  /** Every warning, sorted by file and position. */
  warnings: Warning[];
};

/**
 * Loads the site configuration and every definition of the repository at `root`, collecting
 * all problems of both at once. When the config is broken, definitions of every
 * non-`_` folder are still checked so the user sees everything in one run.
 */
export async function loadDefinitions({ root }: LoadDefinitionsOptions): Promise<LoadDefinitionsResult> {
  const absoluteRoot = resolve(root);
  const site = await loadSiteConfig({ root: absoluteRoot });
  const found = await findDefinitions({ root: absoluteRoot, ...(site.value ? { config: site.value } : {}) });
  return {
    ...(site.value ? { config: site.value } : {}),
    definitions: found.definitions,
    problems: sortProblems([...site.problems, ...found.problems]),
    warnings: sortProblems([...site.warnings, ...found.warnings]),
  };
}
