/**
 * Writes `schema-validators.generated.ts`: the validators of the four schemas of
 * `schemas.ts`, compiled by ajv ahead of time (ajv's "standalone" code), so that a bin checking
 * a site config does not spend about 0.1 s compiling the schema on every run.
 *
 *   pnpm --filter @spacktainers/core generate:validators
 *
 * `schema-validators.test.ts` fails when the committed file is not what this writes, i.e. when
 * a schema changed and the file was not written again.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import AjvModule from "ajv";
import standaloneModule from "ajv/dist/standalone/index.js";
import { AJV_OPTIONS, HINT_KEYWORD, PRECOMPILED_SCHEMAS } from "./ajv-options.js";

// Both are CommonJS; under some loaders the export sits on `.default`.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as typeof AjvModule;
const standaloneCode = ((standaloneModule as unknown as { default?: typeof standaloneModule }).default ??
  standaloneModule) as typeof standaloneModule;

export const GENERATED_FILE = fileURLToPath(new URL("./schema-validators.generated.ts", import.meta.url));

/** The text of `schema-validators.generated.ts`. */
export function schemaValidatorsSource(): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  ajv.addKeyword(HINT_KEYWORD);
  const refs: Record<string, string> = {};
  for (const [name, schema] of Object.entries(PRECOMPILED_SCHEMAS)) {
    ajv.addSchema(schema);
    refs[name] = schema.$id;
  }
  let code = standaloneCode(ajv, refs);
  // ajv's ESM output still loads its run-time helpers (ucs2length) with `require`. Node gives
  // a CommonJS module's `exports` as the default import, bundlers may give `exports.default`.
  const imports: string[] = [];
  code = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)\.default/g, (_match, path: string) => {
    const name = `runtime${imports.length}`;
    imports.push(
      `import ${name}Module from "${path}.js";`,
      `const ${name} = ${name}Module.default ?? ${name}Module;`,
    );
    return name;
  });
  if (/\brequire\(/.test(code))
    throw new Error("ajv's standalone code loads a module this script does not know");
  return [
    "// @ts-nocheck",
    "// Written by generate-schema-validators.ts from schemas.ts (ajv standalone code); do not edit.",
    ...imports,
    code.replace(/^"use strict";/, ""),
    `export const validators = { ${Object.keys(refs).join(", ")} };`,
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(GENERATED_FILE, schemaValidatorsSource());
  console.log(`wrote ${GENERATED_FILE}`);
}
