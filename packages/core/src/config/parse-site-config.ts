import { isSecretName, SECRET_NAME_PARTS } from "../errors/mask-secrets.js";
import type { Problem, Warning } from "../errors/spacktainers-error.js";
import type { ProxyConfig, SiteConfig } from "../model/site-config.js";
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

/** The variables tools read their proxy from, upper- and lower-case (curl reads only `http_proxy`). */
export function proxyVariables(proxy: ProxyConfig): Record<string, string> {
  const https = proxy.https ?? proxy.http;
  const noProxy = proxy.no_proxy.join(",");
  const variables: Record<string, string> = {
    HTTP_PROXY: proxy.http,
    http_proxy: proxy.http,
    HTTPS_PROXY: https,
    https_proxy: https,
  };
  if (noProxy) Object.assign(variables, { NO_PROXY: noProxy, no_proxy: noProxy });
  return variables;
}

function secretPart(name: string): string {
  return SECRET_NAME_PARTS.find((part) => name.toUpperCase().includes(part)) ?? "a secret word";
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
      if (isSecretName(key)) {
        extra.push({
          code: "CONFIG_SECRET",
          message: `architectures.${name}.variables.${key} looks like a secret (its name holds ${secretPart(key)}); values here are written into the generated pipeline`,
          hint: "define it as a masked CI/CD variable in GitLab instead, and remove it here",
          ...parsed.locate(["architectures", name, "variables", key], "key"),
        });
      }
      arch.variables[key] = String(arch.variables[key]);
    }
  }
  const proxy = value.proxy;
  if (proxy)
    for (const key of ["http", "https"] as const) {
      const url = proxy[key];
      if (url && /^https?:\/\/[^/]*@/.test(url))
        extra.push({
          code: "CONFIG_SECRET",
          message: `proxy.${key} holds credentials; proxy URLs are written into the generated pipeline`,
          hint: "for a proxy that needs a login, define HTTP_PROXY/HTTPS_PROXY as masked CI/CD variables and leave proxy off",
          ...parsed.locate(["proxy", key]),
        });
    }
  if (value.ci.proxy && !proxy)
    extra.push({
      code: "CONFIG_INVALID",
      message: "ci.proxy is true but the site proxy is not configured",
      hint: "add at the top level: proxy: { http: http://proxy.example.org:3128, no_proxy: [.example.org] }",
      ...parsed.locate(["ci", "proxy"]),
    });
  for (const [name, arch] of Object.entries(value.architectures)) {
    if (!arch.proxy) continue;
    if (!proxy) {
      extra.push({
        code: "CONFIG_INVALID",
        message: `architectures.${name}.proxy is true but the site proxy is not configured`,
        hint: "add at the top level: proxy: { http: http://proxy.example.org:3128, no_proxy: [.example.org] }",
        ...parsed.locate(["architectures", name, "proxy"]),
      });
      continue;
    }
    arch.variables = { ...proxyVariables(proxy), ...arch.variables };
  }
  // Repository URLs land in build args and job logs: a login in them would be printed.
  const repositories: Array<[string, (string | number)[]]> = [
    [value.spack.repository, ["spack", "repository"]],
    ...value.spack.repos.map((repo, index): [string, (string | number)[]] => [
      repo.url,
      ["spack", "repos", index, "url"],
    ]),
  ];
  for (const [url, path] of repositories)
    if (/^[a-z+]+:\/\/[^/]*@/i.test(url) && !/^ssh:\/\/git@/i.test(url))
      extra.push({
        code: "CONFIG_SECRET",
        message: `${path.join(".")} holds a login; repository URLs are written into build arguments and logs`,
        hint: "give the URL without user or token: repositories on this GitLab are fetched with the job's CI_JOB_TOKEN",
        ...parsed.locate(path),
      });
  // The private key is added by spacktainers to the build jobs of protected refs only: a template
  // that names it would put it in every branch's pipeline (GitLab hands protected variables to
  // protected refs only, so a protected key breaks branch builds and an unprotected one leaks).
  const privateKey = value.spack.private_key_var;
  if (privateKey && new RegExp(`\\$\\{?${privateKey}\\b`).test(JSON.stringify(value.spack.template))) {
    extra.push({
      code: "CONFIG_INVALID",
      message: `spack.template names the private signing key $${privateKey}; spacktainers gives it to the build jobs of protected refs itself`,
      hint: `remove every line that uses $${privateKey} from the template (e.g. spack gpg trust "$${privateKey}")`,
      ...parsed.locate(["spack", "template"]),
    });
  }
  if (value.versions.apptainer !== undefined && value.versions.singularity !== undefined)
    extra.push({
      code: "CONFIG_INVALID",
      message: "versions gives both apptainer and singularity; the singularitah image installs one apptainer",
      hint: "keep one of them",
      ...parsed.locate(["versions", "singularity"], "key"),
    });
  for (const key of Object.keys(value.versions) as (keyof SiteConfig["versions"])[])
    value.versions[key] = String(value.versions[key]);
  if (extra.length > 0) return { problems: extra, warnings };
  return { value, problems: [], warnings };
}
