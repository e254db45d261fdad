import type { Options } from "ajv";
import {
  definitionFileSchema,
  siteConfigSchema,
  spackEnvironmentFileSchema,
  spacktainerFileSchema,
} from "./schemas.js";

/**
 * The one set of ajv options: for the validators precompiled into
 * `schema-validators.generated.ts` and for a schema compiled at run time. Defaults are filled
 * in, every error is reported with the schema that raised it (`verbose`: messages read `hint`
 * and the allowed keys from it).
 */
export const AJV_OPTIONS = {
  allErrors: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
} as const satisfies Options;

/** The schema keyword that carries the hint shown under a problem; ajv only stores it. */
export const HINT_KEYWORD = { keyword: "hint", schemaType: "string" } as const;

/**
 * The schemas whose validators are compiled ahead of time, by their export name in
 * `schema-validators.generated.ts` (written by generate-schema-validators.ts).
 */
export const PRECOMPILED_SCHEMAS = {
  siteConfig: siteConfigSchema,
  definitionFile: definitionFileSchema,
  spackEnvironmentFile: spackEnvironmentFileSchema,
  spacktainerFile: spacktainerFileSchema,
} as const;
