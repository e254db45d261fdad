import { defineProject, type UserWorkspaceConfig } from "vitest/config";

// Tests resolve workspace packages to their TypeScript sources through the
// `spacktainers-source` export condition. Vite applies `resolve.conditions` to the client
// environment only; vitest runs tests in the SSR (node) environment, which needs its own list,
// else workspace packages resolve to a possibly stale dist/.
const conditions = ["spacktainers-source"];

/** The vitest project of one package: unit tests in src/, integration tests in test/. */
export function defineSpacktainersProject(name: string, test: UserWorkspaceConfig["test"] = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      name,
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      // Many tests spawn the real bins (about 1 s each on a quiet 2-core machine, 3–4 s on a
      // busy one) or run gitlab-ci-local; a hung test still fails, a minute later.
      testTimeout: 90_000,
      // The AWS SDK warns under Node 20 on every client; the bins silence it the same way.
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      ...test,
    },
  });
}
