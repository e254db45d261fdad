import {
  type CliSpec,
  defineCommand,
  formatBytes,
  keyValueFlag,
  numberFlag,
  urlFlag,
} from "@spacktainers/core";
import { type GatherTarget, gatherArtifacts } from "./gather-artifacts.js";
import { createGitlabClient } from "./gitlab-client.js";
import { DEFAULT_TOKEN_VARIABLE, resolveGitlabToken } from "./resolve-gitlab-token.js";

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `512MiB`, `4G`, `1000000` → bytes; undefined when malformed. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : undefined;
}

/** `NAME=DIR` (split at the last `=`), or `NAME` alone for the working directory. */
export function parseJobTarget(text: string): GatherTarget {
  const at = text.lastIndexOf("=");
  return at < 0
    ? { job: text, directory: "." }
    : { job: text.slice(0, at), directory: text.slice(at + 1) || "." };
}

/** `--max-extract-size` as bytes; refuses what {@link parseSize} cannot read. */
function parseSizeFlag(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new Error(`cannot read ${JSON.stringify(text)} (e.g. 512MiB, 4GiB)`);
  return bytes;
}

const parseCount = numberFlag({ min: 1, integer: true });

const gather = defineCommand({
  name: "",
  summary: "Download the artifacts of jobs of a bridge's downstream (child) pipeline through the GitLab API.",
  usage:
    '--bridge NAME --job "NAME=DIR"... [--pipeline ID] [--extract] [--dotenv FILE --variable KEY=VALUE...] [--json]',
  details: [
    "The token is read from $GITLAB_API_TOKEN (or --token-variable / --token-file), never from",
    "the command line, and sent as PRIVATE-TOKEN. It needs the read_api scope: a CI_JOB_TOKEN",
    "cannot list bridges or jobs. Requests are paged (per_page=100), retried on network errors,",
    "429 and 5xx, and downloads stream to disk; results land only when every job succeeded.",
    "",
    "Example (in the parent pipeline, after the bridge):",
    '  spacktainers-gather --bridge "generate pipelines" \\',
    '    --job "split spack pipeline for amd64=." --job "plan containers for amd64=." --extract',
  ].join("\n"),
  flags: {
    "api-url": {
      type: "string",
      env: "CI_API_V4_URL",
      placeholder: "URL",
      required: true,
      parse: urlFlag("https://gitlab.example.org/api/v4"),
      description: "GitLab API base URL",
    },
    project: {
      type: "string",
      env: "CI_PROJECT_ID",
      placeholder: "ID",
      required: true,
      description: "project id or path",
    },
    pipeline: {
      type: "string",
      env: "CI_PIPELINE_ID",
      placeholder: "ID",
      required: true,
      description: "pipeline holding the bridge",
    },
    bridge: {
      type: "string",
      placeholder: "NAME",
      required: true,
      description: "name of the bridge (trigger job)",
    },
    job: {
      type: "string",
      multiple: true,
      placeholder: "NAME=DIR",
      required: 'one --job "NAME=DIR" per job to gather',
      parse: parseJobTarget,
      description: "a job of the downstream pipeline and the folder for its artifacts (default .)",
    },
    extract: {
      type: "boolean",
      description: "extract each archive into its folder instead of keeping artifacts.zip",
    },
    "max-extract-size": {
      type: "string",
      placeholder: "SIZE",
      default: "4GiB",
      parse: parseSizeFlag,
      description: "cap on bytes extracted over the whole run",
    },
    dotenv: {
      type: "string",
      placeholder: "FILE",
      description: "also write a dotenv report (max 20 variables, 5120 bytes)",
    },
    variable: {
      type: "string",
      multiple: true,
      placeholder: "KEY=VALUE",
      needs: ["dotenv"],
      parse: keyValueFlag(),
      description: "a variable of the dotenv report",
    },
    "token-variable": {
      type: "string",
      placeholder: "NAME",
      default: DEFAULT_TOKEN_VARIABLE,
      description: "environment variable holding the API token",
    },
    "token-file": {
      type: "string",
      placeholder: "PATH",
      description: "file holding the API token (wins over the variable)",
    },
    concurrency: {
      type: "string",
      placeholder: "N",
      default: "4",
      parse: parseCount,
      description: "parallel downloads",
    },
    timeout: {
      type: "string",
      placeholder: "SECONDS",
      default: "60",
      parse: parseCount,
      description: "per-request timeout (headers, body inactivity)",
    },
    attempts: {
      type: "string",
      placeholder: "N",
      default: "6",
      parse: parseCount,
      description: "attempts per request, first included",
    },
  },
  async run(context) {
    const { flags, log } = context;
    const tokenVariable = flags["token-variable"];
    context.maskVariables([tokenVariable]);
    const { token, source } = await resolveGitlabToken({
      env: context.env,
      variable: tokenVariable,
      file: flags["token-file"],
      cwd: context.cwd,
    });
    // A token read from a file is not in the environment: mask its value too.
    context.maskValues([token]);

    const client = createGitlabClient({
      apiUrl: flags["api-url"],
      projectId: flags.project,
      token,
      timeoutMs: flags.timeout * 1000,
      maxAttempts: flags.attempts,
      env: context.env,
      onRetry: (event) =>
        log(
          `retrying ${event.request} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt} failed: ${event.reason})`,
        ),
    });
    try {
      log(
        `gathering from bridge ${JSON.stringify(flags.bridge)} of pipeline ${flags.pipeline} (token from ${source})`,
      );
      const result = await gatherArtifacts({
        client,
        pipelineId: flags.pipeline,
        bridge: flags.bridge,
        targets: flags.job,
        cwd: context.cwd,
        extract: flags.extract,
        maxExtractedBytes: flags["max-extract-size"],
        concurrency: flags.concurrency,
        ...(flags.dotenv
          ? {
              dotenv: {
                file: flags.dotenv,
                variables: flags.variable.map(([name, value]) => ({ name, value })),
              },
            }
          : {}),
        now: new Date(),
        onProgress: (event) => {
          if (event.type === "resolved")
            log(
              `downstream pipeline ${event.downstreamPipelineId}: ${event.jobs.map((j) => `${JSON.stringify(j.name)} (${j.id})`).join(", ")}`,
            );
          else if (event.type === "downloaded")
            log(`downloaded ${JSON.stringify(event.job)}: ${formatBytes(event.bytes)}`);
          else
            log(`extracted ${JSON.stringify(event.job)}: ${event.files} files, ${formatBytes(event.bytes)}`);
        },
      });
      if (flags.json) context.json(result);
      else {
        for (const job of result.jobs)
          log(
            `${job.name} → ${job.directory} (${job.files.length} file${job.files.length === 1 ? "" : "s"})`,
          );
        if (result.dotenv) log(`wrote ${result.dotenv.path} (${result.dotenv.variables} variables)`);
      }
      return 0;
    } finally {
      await client.close();
    }
  },
});

/** The `spacktainers-gather` CLI. */
export const cli: CliSpec = {
  name: "spacktainers-gather",
  version: "0.1.0",
  description: "Fetches the artifacts of GitLab child-pipeline jobs through the GitLab API.",
  commands: [gather],
};
