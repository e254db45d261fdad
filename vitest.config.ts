import { defineConfig } from "vitest/config";

// Tests resolve workspace packages to their TypeScript sources through the
// `spacktainers-source` export condition, so a test never runs a stale dist/.
// Spawned bins do the same with `node --conditions=spacktainers-source --import tsx`.
export default defineConfig({
  test: {
    projects: ["packages/*", "scripts"],
  },
});
