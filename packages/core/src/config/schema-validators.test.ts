import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PRECOMPILED_SCHEMAS } from "./ajv-options.js";
import { GENERATED_FILE, schemaValidatorsSource } from "./generate-schema-validators.js";
import { parseYamlWithSchema } from "./parse-yaml.js";
import * as schemas from "./schemas.js";
import { siteConfigSchema } from "./schemas.js";

describe("precompiled schema validators", () => {
  // A structural copy is not in the precompiled table: ajv compiles it, with the same options.
  // One copy for all tests: ajv refuses a second schema with the same $id.
  const compiledAtRunTime = structuredClone(siteConfigSchema);
  const bothWays = (text: string) => ({
    precompiled: parseYamlWithSchema({ text, file: "site.yaml", schema: siteConfigSchema }),
    atRunTime: parseYamlWithSchema({ text, file: "site.yaml", schema: compiledAtRunTime }),
  });

  it("are what generate-schema-validators.ts writes from the schemas of today", async () => {
    // Fails when a schema changed and `pnpm --filter @spacktainers/core generate:validators` was not run.
    expect(await readFile(GENERATED_FILE, "utf8")).toBe(schemaValidatorsSource());
  });

  it("report a problem as a schema compiled at run time does", () => {
    const text = [
      "architectures:",
      "  amd64: {tags: [a], base_image: ''}",
      "spack: {version: 1}",
      "registry: {image_prefix: '', label_prefix: Bad}",
      "unknown: 1",
      "",
    ].join("\n");
    const { precompiled, atRunTime } = bothWays(text);
    expect(precompiled.problems.length).toBeGreaterThan(2);
    expect(precompiled.problems).toEqual(atRunTime.problems);
  });

  it("fill in defaults as a schema compiled at run time does", () => {
    const text = [
      "architectures:",
      "  amd64:",
      "    runner_tags: [docker]",
      "    spack_requirement: 'target=x86_64_v3'",
      "    cache_bucket: {name: spack-cache, credentials: {access_key_var: KEY_ID, secret_key_var: SECRET}}",
      "    containers_bucket: {name: sifs, credentials: {access_key_var: KEY_ID, secret_key_var: SECRET}}",
      "spack: {repository: 'https://github.com/spack/spack.git', branch: v1.0.2, template: {spack: {}}}",
      "",
    ].join("\n");
    const { precompiled, atRunTime } = bothWays(text);
    expect(precompiled.problems).toEqual([]);
    expect(precompiled.value).toMatchObject({
      registry: { tls_verify: true },
      docker_hub: { enabled: false },
    });
    expect(precompiled.value).toEqual(atRunTime.value);
  });

  it("cover every schema that schemas.ts exports", () => {
    const exported = Object.entries(schemas).filter(([name]) => name.endsWith("Schema"));
    expect(exported.length).toBeGreaterThan(0);
    for (const [name, schema] of exported)
      expect(Object.values(PRECOMPILED_SCHEMAS), `${name} is not precompiled`).toContain(schema);
  });
});
