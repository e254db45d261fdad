import { defineProject } from "vitest/config";

// Vite 7 applies `resolve.conditions` to the client environment only; tests run in the SSR
// (node) environment, which needs its own list, else workspace packages resolve to dist/.
const conditions = ["spacktainers-source"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: { name: "cache-janitor", include: ["src/**/*.test.ts", "test/**/*.test.ts"], testTimeout: 30_000 },
});
