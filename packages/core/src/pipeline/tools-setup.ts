/**
 * `before_script` of every job that runs a spacktainers bin: GitLab has checked the repository
 * out, corepack provides the pnpm pinned in its package.json, and the bins run from source
 * through the root scripts (`pnpm spacktainers …`, `pnpm spacktainers-image …`). Nothing has to
 * be published to a registry for the pipeline to run. The job image needs Node.js 20.
 */
export const TOOLS_SETUP: readonly string[] = [
  "corepack enable",
  "pnpm install --frozen-lockfile --prefer-offline",
];
