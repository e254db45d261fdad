import type { ErrorCode } from "./error-codes.js";

const marker = "spacktainers.error";
const symbol = Symbol.for(marker);

/** Where a problem is: a file and, when known, a 1-based line and column. */
export type SourceLocation = {
  /** Path of the file, as given to the parser (usually relative to the repository root). */
  file: string;
  /** 1-based line, when the problem points into the file. */
  line?: number;
  /** 1-based column, when the problem points into the file. */
  col?: number;
};

/** One problem found in user input, with where it is and how to fix it. */
export type Problem = SourceLocation & {
  /** Stable code, e.g. `DEF_INVALID` (see {@link ErrorCode}). */
  code: ErrorCode;
  /** What is wrong and what was expected, in one sentence. */
  message: string;
  /** How to fix it, when that is not obvious from the message. */
  hint?: string;
  /** The source line the problem points to, shown under the message with a caret at `col`. */
  excerpt?: string;
};

/** A warning: like a problem, but input is still usable. */
export type Warning = Problem;

/** Formats a location as `file:line:col` (or `file` when no position is known). */
export function formatLocation(location: SourceLocation): string {
  if (location.line === undefined) return location.file;
  return `${location.file}:${location.line}:${location.col ?? 1}`;
}

/** Formats a problem as `file:line:col: message`, then the source line (when known) and the hint. */
export function formatProblem(problem: Problem): string {
  const hint = problem.hint ? `\n  hint: ${problem.hint}` : "";
  return `${formatLocation(problem)}: ${problem.message}${formatExcerpt(problem)}${hint}`;
}

/** Widest excerpt shown: a minified line would flood the terminal. */
const EXCERPT_WIDTH = 100;

function formatExcerpt({ excerpt, line, col = 1 }: Problem): string {
  if (excerpt === undefined || line === undefined) return "";
  // Tabs become one space so the caret under column `col` lines up.
  let text = excerpt.replace(/\t/g, " ");
  let caret = col - 1;
  if (text.length > EXCERPT_WIDTH) {
    const start = Math.max(0, Math.min(caret - EXCERPT_WIDTH / 2, text.length - EXCERPT_WIDTH));
    text = `${start > 0 ? "…" : ""}${text.slice(start, start + EXCERPT_WIDTH)}${start + EXCERPT_WIDTH < text.length ? "…" : ""}`;
    caret = caret - start + (start > 0 ? 1 : 0);
  }
  const gutter = String(line);
  return `\n  ${gutter} | ${text}\n  ${" ".repeat(gutter.length)} | ${" ".repeat(Math.max(0, caret))}^`;
}

export interface SpacktainersErrorOptions {
  /** Stable machine-readable code, e.g. `LOCK_ROOT_MISSING`. */
  code: ErrorCode;
  /** What failed, what was expected, what was found, how to fix it. */
  message: string;
  /** The error that caused this one; always kept. */
  cause?: unknown;
  /** Exit code a CLI uses for this error (default 1; 2 for bad input). */
  exitCode?: number;
}

/**
 * Base of every error spacktainers throws on purpose. Its identity survives duplicate installs
 * of the package (a `Symbol.for` marker, as in `@ai-sdk/provider`), so use
 * `SpacktainersError.isInstance(e)` rather than `instanceof`.
 */
export class SpacktainersError extends Error {
  readonly [symbol] = true;
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Exit code a CLI uses for this error. */
  readonly exitCode: number;

  constructor({ code, message, cause, exitCode = 1 }: SpacktainersErrorOptions) {
    super(message, { cause });
    this.name = "SpacktainersError";
    this.code = code;
    this.exitCode = exitCode;
  }

  /** True for any SpacktainersError, even one created by another copy of this package. */
  static isInstance(error: unknown): error is SpacktainersError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}
