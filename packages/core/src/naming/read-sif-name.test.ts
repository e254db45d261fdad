import { describe, expect, test } from "vitest";
import { KNOWN_ARCHITECTURES, readSifName } from "./read-sif-name.js";

const architectures = ["amd64", "arm64", ...KNOWN_ARCHITECTURES];

describe("readSifName", () => {
  test.each([
    // Spack prod: `<name>__<version>[-<arch>]`.
    ["py-app__1.2.3.sif", { kind: "prod", container: "py-app" }],
    ["py-app__1.2.3-arm64.sif", { kind: "prod", container: "py-app" }],
    ["neurodamus__develop.sif", { kind: "prod", container: "neurodamus" }],
    // Spack branch: `<name>__<version>__<slug>[-<arch>]`.
    ["py-app__1.2.3__feature-x.sif", { kind: "branch", container: "py-app", slugs: ["feature-x"] }],
    [
      "py-app__1.2.3__feature-x-arm64.sif",
      { kind: "branch", container: "py-app", slugs: ["feature-x", "feature-x-arm64"] },
    ],
    ["py-app__1.2.3__main.sif", { kind: "branch", container: "py-app", slugs: ["main"] }],
    // Custom prod: `<name>__<sourceTag>__<arch>`.
    ["ubuntu-tools__22.04__amd64.sif", { kind: "prod", container: "ubuntu-tools" }],
    ["ubuntu-tools__v1_x__ppc64le.sif", { kind: "prod", container: "ubuntu-tools" }],
    // Custom branch: `<name>__<sourceTag>__<slug>__<arch>`: also readable as the prod SIF of a
    // source tag `22.04__fix` (Docker allows `__` in tags), so kept by default.
    [
      "ubuntu-tools__22.04__fix__arm64.sif",
      {
        kind: "ambiguous",
        container: "ubuntu-tools",
        slugs: ["fix"],
        detail: "readable as custom-prod or custom-branch",
      },
    ],
    // `<name>__<v>__arm64`: a custom prod SIF (not the Spack SIF of a branch named `arm64`).
    ["app__1.0__arm64.sif", { kind: "prod", container: "app" }],
    // A custom tag ending in an upper-case or underscore part is no slug: prod only.
    ["app__v1__Fix__amd64.sif", { kind: "prod", container: "app" }],
    // Not ours.
    ["app.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["App__1.0.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["app____1.0.sif", { kind: "unrecognised", detail: "not <name>__<tag>.sif" }],
    ["app__1.0__feature.sif.sha256", { kind: "unrecognised", detail: "not a .sif file" }],
    ["old/app__1.0__feature.sif", { kind: "unrecognised", detail: "in a sub-folder of the prefix" }],
    ["app__1.0__Feature_X.sif", { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
    ["app__1.0__a__b.sif", { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
    [`app__1.0__${"a".repeat(64)}.sif`, { kind: "unrecognised", detail: "matches no spacktainers tag form" }],
  ])("%s", (fileName, expected) => {
    expect(readSifName({ fileName, architectures })).toEqual(expected);
  });

  test("with assumeTagsWithoutSeparator a four-part custom name is a branch SIF, five parts unreadable", () => {
    const read = (fileName: string) =>
      readSifName({ fileName, architectures, assumeTagsWithoutSeparator: true });
    expect(read("ubuntu-tools__22.04__fix__arm64.sif")).toEqual({
      kind: "branch",
      container: "ubuntu-tools",
      slugs: ["fix"],
    });
    expect(read("ubuntu-tools__22.04__amd64.sif")).toEqual({ kind: "prod", container: "ubuntu-tools" });
    expect(read("t__a__b__fix__amd64.sif")).toEqual({
      kind: "unrecognised",
      detail: "matches no spacktainers tag form",
    });
  });

  test("an architecture suffix is only stripped for architectures it knows", () => {
    expect(readSifName({ fileName: "app__1.0__fix-sparc.sif", architectures })).toEqual({
      kind: "branch",
      container: "app",
      slugs: ["fix-sparc"],
    });
    expect(
      readSifName({ fileName: "app__1.0__fix-sparc.sif", architectures: [...architectures, "sparc"] }),
    ).toEqual({ kind: "branch", container: "app", slugs: ["fix", "fix-sparc"] });
  });
});
