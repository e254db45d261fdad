import { defineProject } from "vitest/config";

export default defineProject({
  resolve: { conditions: ["spacktainers-source"] },
  test: { name: "core", include: ["src/**/*.test.ts", "test/**/*.test.ts"], testTimeout: 30_000 },
});
