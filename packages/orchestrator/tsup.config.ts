import { defineConfig } from "tsup";
import { tsupBase } from "../../tsup.base.ts";

// Split: each command loads its implementation (and the AWS SDK, undici…) only when it runs.
export default defineConfig({
  ...tsupBase,
  entry: ["src/index.ts", "src/cli.ts", "src/bin.ts"],
  splitting: true,
});
