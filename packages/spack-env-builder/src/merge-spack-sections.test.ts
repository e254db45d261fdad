import { describe, expect, it } from "vitest";
import { type MergeSource, mergeSpackSections } from "./merge-spack-sections.js";

const source = (label: string, file: string): MergeSource => ({
  label,
  locate: (path) => ({ file, line: path.length, col: 1 }),
});
const templateSource = source("the site template", "container_definitions/spacktainers.yaml");
const definitionSource = source(
  "container_definitions/amd64/app.yaml",
  "container_definitions/amd64/app.yaml",
);
const merge = (template: Record<string, unknown>, definition: Record<string, unknown>) =>
  mergeSpackSections({ template, definition, templateSource, definitionSource });

describe("mergeSpackSections", () => {
  it("merges maps recursively, concatenates lists without duplicates, keeps equal values", () => {
    expect(
      merge(
        {
          specs: null,
          concretizer: { unify: true, reuse: false },
          packages: { all: { providers: { mpi: ["mpich"] } } },
          view: false,
        },
        {
          specs: ["brayns", "py-brayns"],
          concretizer: { unify: true, targets: { granularity: "generic" } },
          packages: { all: { providers: { mpi: ["mpich", "openmpi"], blas: ["openblas"] } } },
          view: false,
        },
      ),
    ).toEqual({
      problems: [],
      value: {
        specs: ["brayns", "py-brayns"],
        concretizer: { unify: true, reuse: false, targets: { granularity: "generic" } },
        packages: { all: { providers: { mpi: ["mpich", "openmpi"], blas: ["openblas"] } } },
        view: false,
      },
    });
  });

  it("dedupes structured list items by value, not identity", () => {
    expect(
      merge(
        { "pipeline-gen": [{ "build-job": { tags: ["a"] } }] },
        { "pipeline-gen": [{ "build-job": { tags: ["a"] } }, { "noop-job": { tags: ["b"] } }] },
      ).value,
    ).toEqual({ "pipeline-gen": [{ "build-job": { tags: ["a"] } }, { "noop-job": { tags: ["b"] } }] });
  });

  it("combines packages:<name>:require (string, list, objects) instead of conflicting", () => {
    expect(
      merge(
        { packages: { mpfr: { require: "@4.1.0:" }, hdf5: { require: ["~mpi"] } } },
        {
          packages: {
            mpfr: { require: "%gcc" },
            hdf5: { require: [{ one_of: ["+cxx", "~cxx"] }, "~mpi"] },
          },
        },
      ).value,
    ).toEqual({
      packages: {
        mpfr: { require: ["@4.1.0:", "%gcc"] },
        hdf5: { require: ["~mpi", { one_of: ["+cxx", "~cxx"] }] },
      },
    });
  });

  it("lets `key::` in the definition replace the template's key", () => {
    expect(merge({ concretizer: { unify: true } }, { "concretizer::": { unify: false } }).value).toEqual({
      "concretizer::": { unify: false },
    });
  });

  it("reports every real conflict with its dotted path and both locations", () => {
    expect(
      merge(
        { concretizer: { unify: true }, view: false, config: { build_jobs: 4 } },
        {
          concretizer: { unify: "when_possible" },
          view: { default: { root: "/opt/view" } },
          config: { build_jobs: 4 },
        },
      ),
    ).toMatchInlineSnapshot(`
      {
        "problems": [
          {
            "code": "ENVIRONMENT_CONFLICT",
            "col": 1,
            "file": "container_definitions/amd64/app.yaml",
            "hint": "remove spack.concretizer.unify from one of them, or write it as "unify::" in the definition to replace the template's value",
            "line": 2,
            "message": "spack.concretizer.unify is "when_possible" in container_definitions/amd64/app.yaml but true in the site template (container_definitions/spacktainers.yaml:2:1); spacktainers cannot merge them",
          },
          {
            "code": "ENVIRONMENT_CONFLICT",
            "col": 1,
            "file": "container_definitions/amd64/app.yaml",
            "hint": "remove spack.view from one of them, or write it as "view::" in the definition to replace the template's value",
            "line": 1,
            "message": "spack.view is a mapping in container_definitions/amd64/app.yaml but false in the site template (container_definitions/spacktainers.yaml:1:1); spacktainers cannot merge them",
          },
        ],
      }
    `);
  });
});
