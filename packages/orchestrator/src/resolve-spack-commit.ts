import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SpacktainersError } from "@spacktainers/core";

const run = promisify(execFile);

export interface ResolveSpackCommitOptions {
  /** `spack.repository`: any URL or path git accepts. */
  repository: string;
  /** `spack.branch`: a branch, a tag, or a full commit hash. */
  ref: string;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
}

/**
 * The commit `spack.branch` points to now, from one `git ls-remote` (no clone): a full hash is
 * its own answer; an annotated tag resolves to the commit it points to. Nothing is ever
 * prompted for (GIT_TERMINAL_PROMPT=0). Throws SPACK_REF_UNRESOLVED when git fails or the ref
 * is neither a branch nor a tag.
 */
export async function resolveSpackCommit(options: ResolveSpackCommitOptions): Promise<string> {
  const { repository, ref } = options;
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  let stdout: string;
  try {
    ({ stdout } = await run(
      "git",
      ["ls-remote", "--", repository, `refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`],
      {
        timeout: options.timeoutMs ?? 30_000,
        env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true" },
      },
    ));
  } catch (error) {
    const detail = String((error as { stderr?: string }).stderr ?? (error as Error).message)
      .trim()
      .split("\n")
      .at(-1);
    throw new SpacktainersError({
      code: "SPACK_REF_UNRESOLVED",
      message: `git ls-remote ${repository} failed: ${detail}`,
      cause: error,
    });
  }
  const refs = new Map(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [hash, name] = line.split("\t");
        return [name!, hash!] as const;
      }),
  );
  const commit =
    refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/heads/${ref}`) ?? refs.get(`refs/tags/${ref}`);
  if (!commit)
    throw new SpacktainersError({
      code: "SPACK_REF_UNRESOLVED",
      message: `${repository} has no branch or tag named ${ref}`,
    });
  return commit;
}
