const symbol = Symbol.for("spacktainers.exit-error");

/**
 * "Already reported, exit quietly with this code." A command throws it after it has printed
 * its own report (for instance exit 3 after listing the items that failed).
 */
export class ExitError extends Error {
  readonly [symbol] = true;
  /** The process exit code. */
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "ExitError";
    this.exitCode = exitCode;
  }

  static isInstance(error: unknown): error is ExitError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}
