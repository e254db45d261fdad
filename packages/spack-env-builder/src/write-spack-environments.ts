import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CiContext,
  type ContainerDefinition,
  formatProblem,
  InputInvalidError,
  type Problem,
  SITE_CONFIG_PATH,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";
import { writeFilesAtomic } from "@spacktainers/core/node";
import {
  composeSpackEnvironment,
  type EnvironmentSources,
  type SpackEnvironment,
} from "./build-spack-environment.js";

export interface BuildSpackEnvironmentsOptions {
  /** Definitions to build; custom (`.def`) containers have no Spack environment and are skipped. */
  definitions: readonly ContainerDefinition[];
  /** The site configuration. */
  config: SiteConfig;
  /** Whether this is the default branch (selects prod bucket names) and the ref is protected (signs). */
  context: Pick<CiContext, "isProd"> & Partial<Pick<CiContext, "isProtected">>;
  /** Builder image of Spack's generated jobs. */
  builderImage: string;
  /**
   * Repository root: when given, the config and definition files are read again so conflicts
   * point at `file:line:col` (only when there is a conflict).
   */
  root?: string;
}

/** Environments of many containers, or every problem of all of them. */
export type BuildSpackEnvironmentsResult = {
  /** One per Spack container, in the order of `definitions`. */
  environments: SpackEnvironment[];
  /** Warnings of every environment. */
  warnings: Warning[];
};

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Builds the environment of every Spack container given. Collects the problems of all of them
 * and throws one {@link InputInvalidError} listing them (exit 2); otherwise returns them all.
 */
export async function buildSpackEnvironments({
  definitions,
  config,
  context,
  builderImage,
  root,
}: BuildSpackEnvironmentsOptions): Promise<BuildSpackEnvironmentsResult> {
  const environments: SpackEnvironment[] = [];
  const warnings = new Map<string, Warning>();
  const problems: Problem[] = [];
  // The config text is read once; a definition's text only when it has a problem (then the
  // environment is composed again with it, so the message carries line:col).
  const configText = root === undefined ? undefined : await readText(join(root, SITE_CONFIG_PATH));
  const configSource: EnvironmentSources = configText === undefined ? {} : { config: { text: configText } };
  for (const definition of definitions) {
    if (definition.kind !== "spack") continue;
    let result = composeSpackEnvironment({
      definition,
      config,
      context,
      builderImage,
      sources: configSource,
    });
    if (!result.environment && root !== undefined) {
      const text = await readText(join(root, definition.path));
      if (text !== undefined) {
        const sources = { ...configSource, definition: { text } };
        result = composeSpackEnvironment({ definition, config, context, builderImage, sources });
      }
    }
    if (!result.environment) {
      problems.push(...result.problems);
      continue;
    }
    environments.push(result.environment);
    // The same template warning comes with every container: keep one.
    for (const warning of result.environment.warnings) warnings.set(formatProblem(warning), warning);
  }
  if (problems.length > 0) throw new InputInvalidError({ code: "ENVIRONMENT_INVALID", problems });
  return { environments, warnings: [...warnings.values()] };
}

export interface WriteSpackEnvironmentsOptions extends BuildSpackEnvironmentsOptions {
  /** Output folder; each environment goes to `<out>/<arch>/<name>/spack.yaml`. */
  out: string;
}

/** What {@link writeSpackEnvironments} wrote. */
export type WriteSpackEnvironmentsResult = BuildSpackEnvironmentsResult & {
  /** Absolute paths of the files written, in the order of `environments`. */
  files: string[];
};

/**
 * Builds every environment and writes them all-or-nothing (temp files, then renames): a bad
 * definition leaves the output folder untouched.
 */
export async function writeSpackEnvironments(
  options: WriteSpackEnvironmentsOptions,
): Promise<WriteSpackEnvironmentsResult> {
  const result = await buildSpackEnvironments(options);
  const files = await writeFilesAtomic(
    options.out,
    Object.fromEntries(result.environments.map((environment) => [environment.path, environment.yaml])),
  );
  return { ...result, files };
}
