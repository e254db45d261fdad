export { parseSpackLock } from "@spacktainers/core";
