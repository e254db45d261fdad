import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SpacktainersError } from "@spacktainers/core";

/** Default environment variable holding the API token. */
export const DEFAULT_TOKEN_VARIABLE = "GITLAB_API_TOKEN";

export interface ResolveGitlabTokenOptions {
  env: Record<string, string | undefined>;
  /** Environment variable to read (default `GITLAB_API_TOKEN`). */
  variable?: string;
  /** File holding the token (wins over the variable); relative to `cwd`. */
  file?: string;
  cwd: string;
}

/** A token and where it came from (for messages: `$GITLAB_API_TOKEN`, never the value). */
export type ResolvedToken = { token: string; source: string };

const HINT =
  "Create a project or personal access token with the read_api scope and store it in a masked CI/CD variable; a CI_JOB_TOKEN cannot list a pipeline's bridges or jobs.";

/**
 * Reads the GitLab API token from an environment variable or a file — never from argv, so it
 * does not show up in process listings or job logs. Trailing whitespace is dropped.
 */
export async function resolveGitlabToken(options: ResolveGitlabTokenOptions): Promise<ResolvedToken> {
  if (options.file !== undefined) {
    const path = resolve(options.cwd, options.file);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new SpacktainersError({
        code: "GITLAB_TOKEN_MISSING",
        exitCode: 2,
        message: `cannot read the token file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        cause: error,
      });
    }
    const token = text.trim();
    if (token === "")
      throw new SpacktainersError({
        code: "GITLAB_TOKEN_MISSING",
        exitCode: 2,
        message: `the token file ${options.file} is empty. ${HINT}`,
      });
    return { token, source: `file ${options.file}` };
  }
  const variable = options.variable ?? DEFAULT_TOKEN_VARIABLE;
  if (variable === "CI_JOB_TOKEN")
    throw new SpacktainersError({
      code: "GITLAB_TOKEN_UNSUITABLE",
      exitCode: 2,
      message: `CI_JOB_TOKEN cannot be used here. ${HINT}`,
    });
  const token = options.env[variable]?.trim();
  if (!token)
    throw new SpacktainersError({
      code: "GITLAB_TOKEN_MISSING",
      exitCode: 2,
      message: `no GitLab API token: $${variable} is not set. ${HINT}`,
    });
  return { token, source: `$${variable}` };
}
