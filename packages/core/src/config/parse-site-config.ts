import type { Problem, Warning } from "../errors/spacktainers-error.js";
import type { SiteConfig } from "../model/site-config.js";
import { parseYamlWithSchema } from "./parse-yaml.js";
import { siteConfigSchema } from "./schemas.js";

/** Conventional path of the site configuration, relative to the repository root. */
export const SITE_CONFIG_PATH = "container_definitions/spacktainers.yaml";

export interface ParseSiteConfigOptions {
  /** Text of `spacktainers.yaml`. */
  text: string;
  /** Path shown in messages. Default {@link SITE_CONFIG_PATH}. */
  file?: string;
}

/**
 * Parses and validates the site configuration. Returns the config with defaults filled in,
 * or every problem found (located). Never throws for bad input.
 */
export function parseSiteConfig({ text, file = SITE_CONFIG_PATH }: ParseSiteConfigOptions): {
  value?: SiteConfig;
  problems: Problem[];
  warnings: Warning[];
} {
  const { value, problems, parsed } = parseYamlWithSchema<SiteConfig>({
    text,
    file,
    schema: siteConfigSchema,
  });
  const warnings: Warning[] = [];
  if (!value) return { problems, warnings };
  const extra: Problem[] = [];
  for (const [name, arch] of Object.entries(value.architectures)) {
    for (const bucket of ["cache_bucket", "containers_bucket"] as const) {
      const { access_key_var, secret_key_var } = arch[bucket].credentials;
      if (access_key_var === secret_key_var) {
        extra.push({
          code: "CONFIG_INVALID",
          message: `architectures.${name}.${bucket}.credentials uses ${access_key_var} for both the access key and the secret key`,
          ...parsed.locate(["architectures", name, bucket, "credentials"]),
        });
      }
    }
    // Values of arch variables land verbatim in generated YAML; they must not be secrets.
    for (const key of Object.keys(arch.variables)) {
      if (/(TOKEN|SECRET|PASSWORD|PRIVATE)/i.test(key)) {
        extra.push({
          code: "CONFIG_SECRET",
          message: `architectures.${name}.variables.${key} looks like a secret; values here are written into the generated pipeline`,
          hint: "define it as a masked CI/CD variable in GitLab instead",
          ...parsed.locate(["architectures", name, "variables", key], "key"),
        });
      }
      arch.variables[key] = String(arch.variables[key]);
    }
  }
  for (const [key, version] of Object.entries(value.versions)) value.versions[key] = String(version);
  if (extra.length > 0) return { problems: extra, warnings };
  return { value, problems: [], warnings };
}
