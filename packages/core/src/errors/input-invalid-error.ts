import type { ErrorCode } from "./error-codes.js";
import { formatProblem, type Problem, SpacktainersError } from "./spacktainers-error.js";

const symbol = Symbol.for("spacktainers.error.input-invalid");

/**
 * User input (definitions, config, a lockfile, flags) has one or more problems. Carries every
 * problem found, each with its location, so the user fixes them all in one go. Exit code 2.
 */
export class InputInvalidError extends SpacktainersError {
  readonly [symbol] = true;
  /** Every problem found, in a stable order. */
  readonly problems: Problem[];

  constructor({
    problems,
    code = "INPUT_INVALID",
    cause,
  }: { problems: Problem[]; code?: ErrorCode; cause?: unknown }) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super({
      code,
      message: `${count} found:\n${problems.map(formatProblem).join("\n")}`,
      cause,
      exitCode: 2,
    });
    this.name = "InputInvalidError";
    this.problems = problems;
  }

  static override isInstance(error: unknown): error is InputInvalidError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}

const usageSymbol = Symbol.for("spacktainers.error.usage");

/** Bad command-line usage (unknown flag, missing argument). Exit code 2. */
export class UsageError extends SpacktainersError {
  readonly [usageSymbol] = true;

  constructor(message: string) {
    super({ code: "USAGE", message, exitCode: 2 });
    this.name = "UsageError";
  }

  /** True for any UsageError, even one created by another copy of this package. */
  static override isInstance(error: unknown): error is UsageError {
    return (
      typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[usageSymbol] === true
    );
  }
}
