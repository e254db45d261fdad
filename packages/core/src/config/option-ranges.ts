import type { NumberRange } from "../cli/flag-parsers.js";

/**
 * The share of a cache or bucket a prune may delete without `force` (`maxDeleteFraction` of the
 * janitor's and the orchestrator's prunes): 0 refuses every deletion, 1 allows all.
 */
export const DELETE_FRACTION_RANGE = { min: 0, max: 1 } as const satisfies NumberRange;
