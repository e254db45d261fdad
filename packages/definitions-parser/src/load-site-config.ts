import { resolve } from "node:path";
import {
  INPUT_LIMITS,
  type Problem,
  parseSiteConfig,
  SITE_CONFIG_PATH,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";
import { readInputFile } from "@spacktainers/core/node";

export interface LoadSiteConfigOptions {
  /** Repository root (absolute, or relative to the working directory). */
  root: string;
}

/**
 * Reads and validates `<root>/container_definitions/spacktainers.yaml`. A missing file, a
 * folder, a symlink loop or one leading out of the repository, an oversized or binary file are
 * problems, not exceptions.
 */
export async function loadSiteConfig({ root }: LoadSiteConfigOptions): Promise<{
  value?: SiteConfig;
  problems: Problem[];
  warnings: Warning[];
}> {
  const read = await readInputFile({
    root: resolve(root),
    path: SITE_CONFIG_PATH,
    maxBytes: INPUT_LIMITS.yamlFileBytes,
    text: true,
    what: "site configuration",
  });
  if (read.status === "refused") return { problems: [read.problem], warnings: [] };
  if (read.status === "missing")
    return {
      problems: [
        {
          code: "CONFIG_MISSING",
          message: `the site configuration ${SITE_CONFIG_PATH} does not exist`,
          hint: "create it with at least architectures.<arch> and spack (see the repository's sample container_definitions/spacktainers.yaml)",
          file: SITE_CONFIG_PATH,
        },
      ],
      warnings: [],
    };
  return parseSiteConfig({ text: read.text, file: SITE_CONFIG_PATH });
}
