import { defineCommand, INPUT_LIMITS, InputInvalidError } from "@spacktainers/core";
import { readInputFile } from "@spacktainers/core/node";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { checkParentPipeline, PARENT_PIPELINE_PATH, parentPipelineDrift } from "../check-parent-pipeline.js";
import { commandRoot, rootFlag } from "./preamble.js";

/** `spacktainers validate`: config, definitions and `.gitlab-ci.yml`, every problem at once. */
export const validateCommand = defineCommand({
  name: "validate",
  summary:
    "Check the site config, every definition, and that .gitlab-ci.yml triggers every configured architecture (warns when it differs from parent-pipeline output).",
  usage: "validate [--root DIR] [--json]",
  details:
    "The repository as a pipeline sees it: what 'spacktainers-definitions validate' checks (site config and definitions), plus .gitlab-ci.yml against the site config. Merge-request pipelines run it.",
  flags: { root: rootFlag },
  async run({ flags, cwd, log, warn, json }) {
    // Not the shared preamble: validate reports problems instead of refusing on the first.
    const root = commandRoot({ cwd, flags });
    const loaded = await loadDefinitions({ root });
    const problems = [...loaded.problems];
    const warnings = [...loaded.warnings];
    if (loaded.config) {
      const read = await readInputFile({
        root,
        path: PARENT_PIPELINE_PATH,
        maxBytes: INPUT_LIMITS.yamlFileBytes,
        text: true,
        what: "parent pipeline",
      });
      if (read.status === "refused") problems.push(read.problem);
      else if (read.status === "missing")
        problems.push({
          code: "PARENT_PIPELINE_MISSING",
          file: PARENT_PIPELINE_PATH,
          message: `${PARENT_PIPELINE_PATH} is missing`,
          hint: "run 'pnpm spacktainers parent-pipeline --write'",
        });
      else {
        problems.push(...checkParentPipeline({ text: read.text, config: loaded.config }));
        warnings.push(...parentPipelineDrift({ text: read.text, config: loaded.config }));
      }
    }
    if (flags.json)
      json({
        valid: problems.length === 0,
        containers: loaded.definitions.length,
        problems,
        warnings,
      });
    warn(warnings);
    if (problems.length > 0) throw new InputInvalidError({ problems });
    if (!flags.json)
      log(
        `spacktainers: valid — ${loaded.definitions.length} containers, ${PARENT_PIPELINE_PATH} triggers every configured architecture`,
      );
    return 0;
  },
});
