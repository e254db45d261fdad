import { GITLAB_LIMITS, SpacktainersError } from "@spacktainers/core";

/** One variable of a dotenv report. */
export type DotenvVariable = { name: string; value: string };

/** GitLab's dotenv rules: names of letters, digits and `_`; one line per variable. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Renders a dotenv report GitLab accepts (`artifacts: reports: dotenv`): at most
 * `GITLAB_LIMITS.maxDotenvVariables` variables and `maxDotenvBytes` bytes, names of
 * `[A-Za-z0-9_]`, no duplicate, single-line values (GitLab docs, "dotenv report"). GitLab
 * rejects the whole report past a limit, so we refuse it here, listing every problem (exit 2).
 */
export function renderDotenv(variables: readonly DotenvVariable[]): string {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { name, value } of variables) {
    if (!NAME.test(name))
      problems.push(
        `${JSON.stringify(name)}: a name has letters, digits and _ only, not starting with a digit`,
      );
    if (seen.has(name)) problems.push(`${name}: defined twice`);
    seen.add(name);
    if (/[\r\n]/.test(value))
      problems.push(`${name}: value spans several lines; GitLab's dotenv takes one line per variable`);
  }
  if (variables.length > GITLAB_LIMITS.maxDotenvVariables)
    problems.push(
      `${variables.length} variables, GitLab accepts at most ${GITLAB_LIMITS.maxDotenvVariables}`,
    );
  const text = variables.map(({ name, value }) => `${name}=${value}\n`).join("");
  const bytes = Buffer.byteLength(text);
  if (bytes > GITLAB_LIMITS.maxDotenvBytes)
    problems.push(`${bytes} bytes, GitLab accepts at most ${GITLAB_LIMITS.maxDotenvBytes}`);
  if (problems.length > 0)
    throw new SpacktainersError({
      code: "DOTENV_INVALID",
      exitCode: 2,
      message: `the dotenv report would be refused by GitLab:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    });
  return text;
}
