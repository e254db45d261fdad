import { resolve } from "node:path";
import type { GitlabClient } from "@spacktainers/artifact-gatherer";
import {
  type CiContext,
  type CommandIo,
  type ContainerDefinition,
  credentialVariableNames,
  dateFlag,
  type FlagSpec,
  InputInvalidError,
  type SiteConfig,
  UsageError,
} from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { contextFromEnv } from "../ci-context-from-env.js";

/**
 * The preamble every `spacktainers` command shares: the flags they have in common, and
 * {@link prepareCommand} (root → config and definitions → masking → arch → CI context), so a
 * command body starts from what it needs.
 */

/** `--root DIR`: the repository (default the working directory; `CI_PROJECT_DIR` in CI). */
export const rootFlag = {
  type: "string",
  description: "repository root",
  placeholder: "DIR",
  env: "CI_PROJECT_DIR",
} as const satisfies FlagSpec;

/** `--now ISO`: the instant of this run, so output can be reproduced. */
export const nowFlag = {
  type: "string",
  description: "the instant of this run (ISO 8601); default now",
  placeholder: "ISO",
  env: "SPACKTAINERS_NOW",
  parse: dateFlag,
} as const satisfies FlagSpec<Date>;

/** `--arch A`, required; checked against the site config by {@link prepareCommand}. */
export const archFlag = {
  type: "string",
  description: "architecture",
  placeholder: "A",
  required: true,
} as const satisfies FlagSpec;

/** `--pipeline-id ID` (or `CI_PIPELINE_ID`), required: `why` a command needs pipeline A's id. */
export function pipelineIdFlag(description: string, why: string) {
  return {
    type: "string",
    description,
    placeholder: "ID",
    env: "CI_PIPELINE_ID",
    required: why,
  } as const satisfies FlagSpec;
}

/** The repository root of a command: `--root`, relative to the working directory. */
export function commandRoot({
  cwd,
  flags,
}: Pick<CommandIo, "cwd"> & { flags: { root?: string | undefined } }) {
  return resolve(cwd, flags.root ?? ".");
}

/** The flags {@link prepareCommand} reads. */
type PreambleFlags = {
  root?: string | undefined;
  arch?: string | undefined;
  now?: Date | undefined;
};

/** What a command starts from. */
export type PreparedCommand<F extends PreambleFlags> = {
  /** The repository root (absolute). */
  root: string;
  /** The valid site config. */
  config: SiteConfig;
  /** Every valid definition of a configured architecture. */
  definitions: ContainerDefinition[];
  /** `--arch`, checked to be configured (as typed as the command's flag). */
  arch: F["arch"];
  /** The CI context (variables, branch, `--now`); read on first call (it may ask git). */
  ciContext(): Promise<CiContext>;
};

/**
 * The shared preamble: resolves `--root`, loads config and definitions (refusing the run with
 * every problem when one is invalid), masks the credential variables the config names, checks
 * `--arch` against the configured architectures, and offers the CI context.
 */
export async function prepareCommand<F extends PreambleFlags>(
  command: Pick<CommandIo, "cwd" | "env" | "maskVariables"> & { flags: F },
): Promise<PreparedCommand<F>> {
  const root = commandRoot(command);
  const loaded = await loadDefinitions({ root });
  if (loaded.problems.length > 0 || !loaded.config)
    throw new InputInvalidError({ problems: loaded.problems });
  const config = loaded.config;
  command.maskVariables(credentialVariableNames(config));
  const { arch, now } = command.flags;
  if (arch !== undefined && !(arch in config.architectures))
    throw new UsageError(
      `unknown architecture ${arch}; configured: ${Object.keys(config.architectures).join(", ")}`,
    );
  let context: Promise<CiContext> | undefined;
  return {
    root,
    config,
    definitions: loaded.definitions,
    arch,
    ciContext: () => {
      context ??= contextFromEnv({ env: command.env, root, now });
      return context;
    },
  };
}

/** The named CI variables, or a usage error naming the missing ones. */
export function requireEnv(env: Record<string, string | undefined>, names: string[]): Record<string, string> {
  const missing = names.filter((name) => !env[name]);
  if (missing.length > 0)
    throw new UsageError(
      `missing CI variable(s) ${missing.join(", ")}: this command runs in a GitLab CI job`,
    );
  return Object.fromEntries(names.map((name) => [name, env[name]!]));
}

/**
 * The GitLab API connection of a CI job (URL, project, the token in `config.ci.api_token_var`),
 * the token masked from then on.
 */
export function gitlabConnection(
  { env, maskValues }: Pick<CommandIo, "env" | "maskValues">,
  config: SiteConfig,
): { apiUrl: string; projectId: string; token: string; env: Record<string, string | undefined> } {
  const ci = requireEnv(env, ["CI_API_V4_URL", "CI_PROJECT_ID"]);
  const tokenVariable = config.ci.api_token_var;
  // A variable created from a file often ends with a newline, which GitLab refuses in a header.
  const token = env[tokenVariable]?.trim();
  if (!token)
    throw new UsageError(
      `the CI variable ${tokenVariable} is empty: define it as a masked variable holding a project or personal access token with read_api (CI_JOB_TOKEN cannot list bridges, jobs or branches)`,
    );
  maskValues([token]);
  // The environment goes along for the client's proxy (HTTPS_PROXY, NO_PROXY).
  return { apiUrl: ci.CI_API_V4_URL!, projectId: ci.CI_PROJECT_ID!, token, env };
}

/** Runs `use` with a GitLab client from the CI variables (token masked), closed afterwards. */
export async function withGitlab<T>(
  command: Pick<CommandIo, "env" | "maskValues">,
  config: SiteConfig,
  use: (gitlab: GitlabClient) => Promise<T>,
): Promise<T> {
  const connection = gitlabConnection(command, config);
  const { createGitlabClient } = await import("@spacktainers/artifact-gatherer");
  const gitlab = createGitlabClient(connection);
  try {
    return await use(gitlab);
  } finally {
    await gitlab.close();
  }
}
