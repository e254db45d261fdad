import { LOCK_KEY } from "./cache-lock.js";
import { PENDING_KEY } from "./pending-deletions.js";

/** Keys no rule may delete, whatever the plan says: signing keys, the layout file, the janitor's lock and journal. */
export function isAlwaysKept(key: string): boolean {
  return (
    key.startsWith("build_cache/_pgp/") ||
    key.startsWith("v3/manifests/key/") ||
    key === "v3/layout.json" ||
    key === LOCK_KEY ||
    key === PENDING_KEY
  );
}
