import type { ImageReference, Problem } from "@spacktainers/core";
import { parseImageReference } from "@spacktainers/core";

export interface ParseDefFileOptions {
  /** Text of the `.def` file. */
  text: string;
  /** Path shown in messages (relative to the repository root). */
  file: string;
}

/**
 * Reads the header of a Singularity/Apptainer definition file: `Bootstrap:` must be `docker`
 * (we wrap registry images only) and `From:` names the image. Keywords are case-insensitive
 * (as in Apptainer); the header ends at the first `%section`. Returns the image of the `From:`
 * line, or every problem found with its `file:line:col`.
 */
export function parseDefFile({ text, file }: ParseDefFileOptions): {
  value?: { source: ImageReference };
  problems: Problem[];
} {
  const problems: Problem[] = [];
  let bootstrap: { value: string; line: number; col: number } | undefined;
  let from: { value: string; line: number; col: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed.startsWith("%")) break;
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const match = /^(\s*)([A-Za-z]+)\s*:\s*(.*?)\s*$/d.exec(line);
    if (!match) continue;
    const keyword = match[2]!.toLowerCase();
    const entry = { value: match[3]!, line: index + 1, col: match.indices![3]![0] + 1 };
    if (keyword === "bootstrap" || keyword === "from") {
      const previous = keyword === "bootstrap" ? bootstrap : from;
      if (previous) {
        problems.push({
          code: "DEF_INVALID",
          message: `"${match[2]}:" is given twice (first on line ${previous.line})`,
          hint: "keep one line",
          file,
          line: entry.line,
          col: match[1]!.length + 1,
        });
        continue;
      }
      if (keyword === "bootstrap") bootstrap = entry;
      else from = entry;
    }
  }
  if (!bootstrap) {
    problems.push({
      code: "DEF_INVALID",
      message: 'the header has no "Bootstrap:" line',
      hint: 'start the file with "Bootstrap: docker" and "From: <image>:<tag>"',
      file,
      line: 1,
      col: 1,
    });
  } else if (bootstrap.value.toLowerCase() !== "docker") {
    problems.push({
      code: "DEF_INVALID",
      message: `"Bootstrap: ${bootstrap.value}" is not supported; spacktainers wraps registry images only`,
      hint: 'use "Bootstrap: docker" with a registry image in "From:"',
      file,
      line: bootstrap.line,
      col: bootstrap.col,
    });
  }
  let source: ImageReference | undefined;
  if (!from) {
    problems.push({
      code: "DEF_INVALID",
      message: 'the header has no "From:" line, so there is no source image',
      hint: 'add "From: <image>:<tag>" before the first %section, e.g. "From: bluebrain/nexus-storage:latest"',
      file,
      line: bootstrap?.line ?? 1,
      col: 1,
    });
  } else {
    const { value, error } = parseImageReference(from.value);
    if (error) {
      problems.push({
        code: "DEF_INVALID",
        message: `"From:" ${error}`,
        hint: "write an image reference such as registry.example.org:5050/group/image:1.0 or image@sha256:<64 hex>",
        file,
        line: from.line,
        col: from.col,
      });
    } else source = value;
  }
  if (problems.length > 0 || !source) return { problems };
  return { value: { source }, problems };
}
