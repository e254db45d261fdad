import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type Problem,
  parseSiteConfig,
  SITE_CONFIG_PATH,
  type SiteConfig,
  type Warning,
} from "@spacktainers/core";

export interface LoadSiteConfigOptions {
  /** Repository root (absolute, or relative to the working directory). */
  root: string;
}

/**
 * Reads and validates `<root>/container_definitions/spacktainers.yaml`. A missing file is a
 * problem, not an exception.
 */
export async function loadSiteConfig({ root }: LoadSiteConfigOptions): Promise<{
  value?: SiteConfig;
  problems: Problem[];
  warnings: Warning[];
}> {
  let text: string;
  try {
    text = await readFile(join(resolve(root), ...SITE_CONFIG_PATH.split("/")), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
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
  }
  return parseSiteConfig({ text, file: SITE_CONFIG_PATH });
}
