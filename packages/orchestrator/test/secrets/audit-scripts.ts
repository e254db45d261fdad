import { parse } from "yaml";

/**
 * Lines of emitted GitLab jobs that would put a credential in a job log. GitLab prints each
 * script line as written (`$VAR` unexpanded), so a value only reaches the log through what a
 * command prints: shell tracing, dumping the environment, or echoing a variable anywhere but
 * into `--password-stdin`.
 */
const TRACING = /\bset\s+(-[a-z]*x|-o\s+xtrace)\b|\b(printenv|export\s+-p)\b|^\s*env\s*($|\|)/;

/** A credential reference in a form that never prints its value. */
const SAFE_USES: RegExp[] = [
  // printf '%s' "$PASSWORD" | tool login … --username "$USER" --password-stdin …
  /^printf '%s' "\$[A-Z0-9_]+" \| (buildah|skopeo|podman|docker|apptainer|singularity) (registry )?login\b.*--password-stdin\b/,
  // buildah build --secret id=…,env=VAR / src=$FILE_VAR (mounted, never a layer or a build arg)
  /--secret "?id=[a-z_]+,(env=[A-Z0-9_]+|src=\$[A-Z0-9_]+)"?/,
  // our bins take credential variable NAMES
  /--(access-key-var|secret-key-var|user-var|password-var|token-variable) [A-Z0-9_]+/,
];

/** Script lines of every job of a pipeline YAML text. */
function scriptLines(text: string): Array<{ job: string; line: string }> {
  const document = parse(text) as Record<string, unknown> | null;
  const lines: Array<{ job: string; line: string }> = [];
  for (const [job, value] of Object.entries(document ?? {})) {
    if (!value || typeof value !== "object") continue;
    for (const key of ["before_script", "script", "after_script"]) {
      const script = (value as Record<string, unknown>)[key];
      const list = Array.isArray(script) ? script.flat(Number.POSITIVE_INFINITY) : script ? [script] : [];
      for (const line of list) lines.push({ job, line: String(line) });
    }
  }
  return lines;
}

/**
 * Every script line of `text` that traces the shell, dumps the environment, or uses one of
 * `variables` outside {@link SAFE_USES}: `<job>: <line>`.
 */
export function unsafeScriptLines(text: string, variables: readonly string[]): string[] {
  const unsafe: string[] = [];
  for (const { job, line } of scriptLines(text)) {
    if (TRACING.test(line)) {
      unsafe.push(`${job}: ${line}`);
      continue;
    }
    const uses = variables.filter((name) => new RegExp(`\\$\\{?${name}\\b|\\b${name}\\b`).test(line));
    if (uses.length === 0) continue;
    // Remove the safe uses, then any reference left is unsafe.
    let rest = line;
    for (const safe of SAFE_USES) rest = rest.replace(new RegExp(safe.source, "g"), "");
    if (uses.some((name) => new RegExp(`\\$\\{?${name}\\b|\\b${name}\\b`).test(rest)))
      unsafe.push(`${job}: ${line}`);
  }
  return unsafe;
}
