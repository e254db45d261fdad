import type { Options } from "tsup";

/**
 * The one tsup configuration every package spreads into its own tsup.config.ts (the orchestrator
 * adds `splitting`, so each command loads only what it uses).
 * Entries: the library (`index`), the CLI module and the bin wrapper when a package has them.
 */
export const tsupBase: Options = {
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
  // Workspace packages are resolved from their published `exports` (dist), never bundled.
  skipNodeModulesBundle: true,
  tsconfig: "tsconfig.build.json",
};
