import { defineProject } from "vitest/config";

// Vite 6+ resolves modules of server-side code (which vitest runs) with `ssr.resolve.conditions`;
// the top-level `resolve.conditions` alone leaves workspace packages resolved to a stale dist/.
const conditions = ["spacktainers-source"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    name: "definitions-parser",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
