import { formatProblem, type Warning } from "@spacktainers/core";

export interface WarningSummaryOptions {
  /** Examples shown per kind (default 3). */
  examples?: number;
  /** Where every warning can be read in full, named in the summary (e.g. `--report FILE or --json`). */
  fullListHint?: string;
}

/**
 * Warnings for a log: one line per kind (`code`) with its count, then its first few examples,
 * indented. A kind seen once is printed as itself. Thousands of warnings of one kind (a big
 * input moves many jobs) stay a few lines; the full list belongs in a report file.
 */
export function summarizeWarnings(warnings: Warning[], options: WarningSummaryOptions = {}): string[] {
  const examples = options.examples ?? 3;
  const byCode = new Map<string, Warning[]>();
  for (const warning of warnings) {
    const list = byCode.get(warning.code);
    if (list) list.push(warning);
    else byCode.set(warning.code, [warning]);
  }
  const lines: string[] = [];
  for (const [code, list] of byCode) {
    if (list.length === 1) {
      lines.push(`warning: ${formatProblem(list[0]!)}`);
      continue;
    }
    const shown = list.slice(0, examples);
    const more = list.length - shown.length;
    const rest =
      more > 0
        ? `; first ${shown.length}${options.fullListHint ? ` (all in ${options.fullListHint})` : ""}`
        : "";
    lines.push(`warning: ${code} ×${list.length}${rest}:`);
    for (const warning of shown) lines.push(`  ${formatProblem(warning).replaceAll("\n", "\n  ")}`);
  }
  return lines;
}
