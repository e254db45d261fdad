import { createGitlabClient, type GitlabClient } from "@spacktainers/artifact-gatherer";
import { parseSiteConfig, type SiteConfig } from "@spacktainers/core";
import { type GitlabApiDouble, startGitlabApiDouble } from "@spacktainers/test-utils";

/** The site configuration of a test, from its YAML; throws with every problem when it is invalid. */
export function siteConfigFrom(text: string): SiteConfig {
  const parsed = parseSiteConfig({ text });
  if (!parsed.value) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

/** The GitLab API double and the client the commands use, talking to it with its first token. */
export type GitlabUnderTest = {
  double: GitlabApiDouble;
  gitlab: GitlabClient;
  /** Closes the client, then stops the double. */
  stop(): Promise<void>;
};

/**
 * Starts the GitLab API double (no pipelines unless given) and a client of it with one attempt
 * per request, so a test sees a failure at once instead of after retries.
 */
export async function startGitlab(
  options: Omit<Parameters<typeof startGitlabApiDouble>[0], "pipelines"> &
    Partial<Pick<Parameters<typeof startGitlabApiDouble>[0], "pipelines">>,
): Promise<GitlabUnderTest> {
  const double = await startGitlabApiDouble({ pipelines: [], ...options });
  const gitlab = createGitlabClient({
    apiUrl: double.url,
    projectId: options.projectId,
    token: options.tokens[0]!,
    maxAttempts: 1,
  });
  return {
    double,
    gitlab,
    async stop() {
      await gitlab.close();
      await double.stop();
    },
  };
}
