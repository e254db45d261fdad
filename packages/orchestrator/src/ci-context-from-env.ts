import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type CiContext, readCiContext } from "@spacktainers/core";

const run = promisify(execFile);

/** The current git branch of `root`, or undefined (detached HEAD, no git, not a repository). */
export async function currentGitBranch(root: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["rev-parse", "--abbrev-ref", "HEAD"], { cwd: root, timeout: 5000 });
    const branch = stdout.trim();
    return branch && branch !== "HEAD" ? branch : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CI context of a command: `CI_*` variables in CI; on a developer's machine the git branch
 * (or `local`) and offline mode. `now` comes from `--now` (or `SPACKTAINERS_NOW`, parsed by the
 * flag) so output can be reproduced; the clock is read here, in the CLI, and nowhere else.
 */
export async function contextFromEnv({
  env,
  root,
  now,
}: {
  env: Record<string, string | undefined>;
  root: string;
  now?: Date | undefined;
}): Promise<CiContext> {
  const instant = now ?? new Date();
  const fallbackRefName = env.CI_COMMIT_REF_NAME ? undefined : await currentGitBranch(root);
  return readCiContext({ env, now: instant, ...(fallbackRefName ? { fallbackRefName } : {}) });
}
