import { SpacktainersError } from "@spacktainers/core";
import type { Decision } from "@spacktainers/image-builder";

/**
 * Runs a registry or S3 check; when the check itself fails (registry unreachable, credentials
 * refused), the work is done anyway — building again is safe, skipping on a guess is not — and
 * the reason says why, so the failure is visible in `plan` and in the job log.
 */
export async function decideOrBuild<T extends Decision>(check: () => Promise<T>): Promise<T | Decision> {
  try {
    return await check();
  } catch (error) {
    const detail = SpacktainersError.isInstance(error) ? error.message : (error as Error).name;
    return { action: "build", reason: `could not check (${detail.split("\n")[0]}); building to be safe` };
  }
}
