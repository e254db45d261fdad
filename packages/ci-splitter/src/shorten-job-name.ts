import { sha256Hex } from "@spacktainers/core";

/**
 * Step 3 of the split: a job name GitLab accepts. Spack's labels can exceed GitLab's 255
 * characters; a longer one is cut and ends in `~<8 hex of its sha256>`, so it stays unique.
 */
export function shortenJobName(name: string, maxLength: number): string {
  return name.length <= maxLength
    ? name
    : `${name.slice(0, maxLength - 9).trimEnd()}~${sha256Hex(name).slice(0, 8)}`;
}
