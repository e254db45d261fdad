import { type CliSpec, runCli } from "../cli/define-cli.js";

/** Runs a CLI against the real process: the whole body of every bin. */
export async function runCliProcess(cli: CliSpec): Promise<void> {
  process.exitCode = await runCli(cli, process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
}
