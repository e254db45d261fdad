import { type CliSpec, runCli } from "../cli/define-cli.js";

/** Runs a CLI against the real process: the whole body of every bin. */
export async function runCliProcess(cli: CliSpec): Promise<void> {
  // The AWS SDK warns on every run under Node 20 (its support ends in 2026); our bins support
  // Node 20 on purpose, and the warning would bury real messages on stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  process.exitCode = await runCli(cli, process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}
