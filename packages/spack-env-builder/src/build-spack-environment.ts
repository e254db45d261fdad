import {
  type ArchitectureConfig,
  archRunners,
  bucketName,
  type CiContext,
  InputInvalidError,
  type ParsedYaml,
  type Problem,
  parseYaml,
  renderYaml,
  SITE_CONFIG_PATH,
  type SiteConfig,
  type SourceLocation,
  type SpackContainerDefinition,
  type Warning,
} from "@spacktainers/core";
import {
  concatUnique,
  type MergeSource,
  mergeSpackSections,
  requirementList,
} from "./merge-spack-sections.js";

/**
 * Name of the mirror spacktainers writes. Spack ≥ 0.21 `spack ci` pushes to the mirror of
 * exactly this name, and the image build installs from it: one mirror for both.
 */
export const BUILD_CACHE_MIRROR = "buildcache-destination";

/** The original tool's placeholder for the arch requirement; we write the real requirement. */
const LEGACY_ARCH_PLACEHOLDER = "%BASE_ARCH%";

/** The text of files, so conflicts point at `file:line:col` instead of just the file. */
export type EnvironmentSources = {
  /** The site configuration file (default path {@link SITE_CONFIG_PATH}) and its text. */
  config?: { file?: string; text: string };
  /** The text of the definition file (`definition.path`). */
  definition?: { text: string };
};

export interface BuildSpackEnvironmentOptions {
  /** The container (file or folder form). */
  definition: SpackContainerDefinition;
  /** The site configuration (template, architectures, buckets). */
  config: SiteConfig;
  /** Architecture to build for; default `definition.arch`. */
  arch?: string;
  /**
   * Whether this is the default branch (selects the cache bucket's `prod_name`) and whether the
   * ref is protected (only then do build jobs sign; default false: unsigned, no private key).
   */
  context: Pick<CiContext, "isProd"> & Partial<Pick<CiContext, "isProtected">>;
  /**
   * Image of Spack's generated build jobs: the builder image of this pipeline, e.g.
   * `registry.example.org/hpc/spacktainers/builder:0123456789ab`.
   */
  builderImage: string;
  /** File texts, for `line:col` in conflict messages. */
  sources?: EnvironmentSources;
}

/** One container's Spack environment for one architecture. */
export type SpackEnvironment = {
  /** Container name. */
  name: string;
  /** Architecture. */
  arch: string;
  /** Where it is written, relative to the output folder: `<arch>/<name>/spack.yaml`. */
  path: string;
  /** The environment as data: `{ spack: {...} }`. */
  environment: { spack: Record<string, unknown> };
  /** The environment as YAML, deterministic (same inputs, same bytes). */
  yaml: string;
  /** Things the user may want to fix (a legacy placeholder dropped, an ignored section). */
  warnings: Warning[];
};

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// The last parsed file: the site config is the same for every container of a run, so it is
// parsed once (and only when a message needs a location).
let lastParsed: { file: string; text: string; locate: ParsedYaml["locate"] } | undefined;

function sourceLocator(
  file: string,
  text: string | undefined,
  prefix: (string | number)[],
): (path: (string | number)[]) => SourceLocation {
  return (path) => {
    if (text === undefined) return { file };
    if (lastParsed?.file !== file || lastParsed.text !== text) {
      lastParsed = { file, text, locate: parseYaml({ text, file }).parsed.locate };
    }
    return lastParsed.locate([...prefix, ...path]);
  };
}

/** The `mirrors.buildcache-destination` entry of an arch: its cache bucket, credentials by name. */
function buildCacheMirror(
  arch: ArchitectureConfig,
  isProd: boolean,
  signs: boolean,
): Record<string, unknown> {
  const bucket = arch.cache_bucket;
  const mirror: Record<string, unknown> = { url: `s3://${bucketName(bucket, isProd)}`, binary: true };
  // Spack ≥ 0.22 mirror schema: `endpoint_url` and `access_pair: {id_variable, secret_variable}`
  // name environment variables; Spack reads their values at run time, so no secret is written.
  if (bucket.endpoint) mirror.endpoint_url = bucket.endpoint;
  mirror.access_pair = {
    id_variable: bucket.credentials.access_key_var,
    secret_variable: bucket.credentials.secret_key_var,
  };
  // Unsigned unless this pipeline signs: pushes from an unprotected ref (no private key) and the
  // installs that read them back must not expect signatures.
  if (!signs) mirror.signed = false;
  return mirror;
}

/**
 * The private key variable when this pipeline's build jobs sign: a key is configured and the ref
 * is protected. GitLab gives protected variables to protected refs only, so naming the key on
 * another ref would break its builds (a protected key) or expose it (an unprotected one).
 */
export function signingKeyVariable(
  config: SiteConfig,
  context: Partial<Pick<CiContext, "isProtected">>,
): string | undefined {
  return context.isProtected ? config.spack.private_key_var : undefined;
}

/**
 * Builds the Spack environment of a container for an architecture: the site
 * template's `spack:` deep-merged with the definition's `spack:` (see {@link mergeSpackSections}),
 * then
 * - the architecture's `spack_requirement` is put first in `packages:all:require`, combined with
 *   the template's and the user's own requirements (the original tool aborted on a user
 *   `require`, and wrote a `%BASE_ARCH%` placeholder that is dropped here with a warning);
 * - `mirrors.buildcache-destination` is the arch's cache bucket (`s3://<bucket>`, endpoint and
 *   credential variable NAMES), read by the image build and written by the cache population —
 *   one environment and one concretization serve both;
 * - `ci.pipeline-gen` starts with an `any-job` section giving the builder image, the arch's
 *   runner tags and its variables. It comes first because Spack lets the earliest section win
 *   for a job's image (seen in the 0.23.1 fixture: `any-job`'s image beat a later `build-job`
 *   image); tags of later sections are added to ours;
 * - signing: on a protected ref with `spack.private_key_var` set, a last `build-job` section
 *   imports the private key (`spack gpg trust "$<var>"`) and the mirror is signed; otherwise
 *   the mirror says `signed: false` and nothing names the private key.
 *
 * Throws {@link InputInvalidError} (exit 2) with every conflict located in both files.
 */
export async function buildSpackEnvironment(
  options: BuildSpackEnvironmentOptions,
): Promise<SpackEnvironment> {
  const { environment, problems } = composeSpackEnvironment(options);
  if (!environment) throw new InputInvalidError({ code: "ENVIRONMENT_CONFLICT", problems });
  return environment;
}

/** {@link buildSpackEnvironment} without throwing: the environment, or every problem. */
export function composeSpackEnvironment({
  definition,
  config,
  arch = definition.arch,
  context,
  builderImage,
  sources = {},
}: BuildSpackEnvironmentOptions): { environment?: SpackEnvironment; problems: Problem[] } {
  const configFile = sources.config?.file ?? SITE_CONFIG_PATH;
  const architecture = config.architectures[arch];
  if (!architecture) {
    return {
      problems: [
        {
          code: "ARCH_UNKNOWN",
          message: `architecture "${arch}" is not configured (configured: ${Object.keys(config.architectures).join(", ") || "none"})`,
          hint: `add architectures.${arch} to ${configFile}`,
          file: configFile,
        },
      ],
    };
  }
  const templateSource: MergeSource = {
    label: `the site template`,
    locate: sourceLocator(configFile, sources.config?.text, ["spack", "template", "spack"]),
  };
  const definitionSource: MergeSource = {
    label: definition.path,
    locate: sourceLocator(definition.path, sources.definition?.text, ["spack"]),
  };
  const template = isMapping(config.spack.template.spack) ? config.spack.template.spack : {};
  const merged = mergeSpackSections({
    template,
    definition: definition.spack,
    templateSource,
    definitionSource,
  });
  if (!merged.value) return { problems: merged.problems };
  const spack = merged.value;
  const warnings: Warning[] = [];
  const problems: Problem[] = [];

  // packages:all:require — the arch requirement first, then what the template and user asked.
  const packages = isMapping(spack.packages) ? { ...spack.packages } : {};
  const all = isMapping(packages.all) ? { ...packages.all } : {};
  const existing = requirementList(all.require).filter((item) => {
    if (item !== LEGACY_ARCH_PLACEHOLDER) return true;
    warnings.push({
      code: "TEMPLATE_PLACEHOLDER",
      message: `packages:all:require "${LEGACY_ARCH_PLACEHOLDER}" is the original tool's placeholder; spacktainers writes architectures.${arch}.spack_requirement there itself`,
      hint: "remove the placeholder from the template",
      ...templateSource.locate(["packages", "all", "require"]),
    });
    return false;
  });
  all.require = concatUnique([architecture.spack_requirement], existing);
  packages.all = all;
  spack.packages = packages;

  // mirrors: the arch's build cache under the name `spack ci` pushes to.
  const mirrors = isMapping(spack.mirrors) ? { ...spack.mirrors } : {};
  if (BUILD_CACHE_MIRROR in mirrors) {
    const inDefinition =
      isMapping(definition.spack.mirrors) && BUILD_CACHE_MIRROR in definition.spack.mirrors;
    problems.push({
      code: "ENVIRONMENT_RESERVED",
      message: `mirrors.${BUILD_CACHE_MIRROR} is written by spacktainers from architectures.${arch}.cache_bucket`,
      hint: "remove it; configure the bucket in the site configuration instead",
      ...(inDefinition ? definitionSource : templateSource).locate(["mirrors", BUILD_CACHE_MIRROR]),
    });
  }
  const signingKey = signingKeyVariable(config, context);
  mirrors[BUILD_CACHE_MIRROR] = buildCacheMirror(architecture, context.isProd, signingKey !== undefined);
  spack.mirrors = mirrors;

  // ci:pipeline-gen — our any-job first.
  if ("gitlab-ci" in spack) {
    warnings.push({
      code: "ENVIRONMENT_LEGACY_CI",
      message:
        "the `gitlab-ci:` section is Spack < 0.21 syntax; spacktainers writes `ci: pipeline-gen` and Spack ≥ 0.21 rejects both together",
      hint: "move its settings to ci:pipeline-gen",
      ...templateSource.locate(["gitlab-ci"]),
    });
  }
  const ci = isMapping(spack.ci) ? { ...spack.ci } : {};
  // Spack's jobs run on the arch's runners, as every job we write does.
  const runners = archRunners(architecture);
  const anyJob: Record<string, unknown> = {
    image: { name: builderImage, entrypoint: [""] },
    tags: runners.tags,
    ...(Object.keys(runners.variables).length > 0 ? { variables: runners.variables } : {}),
  };
  const sections = Array.isArray(ci["pipeline-gen"]) ? ci["pipeline-gen"] : [];
  // Spack concatenates the lists of matching sections, earliest first: a last `build-job`
  // section puts the key import after the template's own before_script (`setup-env.sh`).
  const signing = signingKey
    ? [{ "build-job": { before_script: [`spack gpg trust "$${signingKey}"`] } }]
    : [];
  ci["pipeline-gen"] = [{ "any-job": anyJob }, ...sections, ...signing];
  spack.ci = ci;

  if (problems.length > 0) return { problems };
  // `specs` first: it is what a reader looks for.
  const { specs, ...rest } = spack;
  const environment = { spack: { specs, ...rest } };
  return {
    environment: {
      name: definition.name,
      arch,
      path: `${arch}/${definition.name}/spack.yaml`,
      environment,
      yaml: renderYaml(environment),
      warnings,
    },
    problems: [],
  };
}
