import { describe, expect, it } from "vitest";
import { classifySifName } from "./plan-sif-prune.js";

describe("classifySifName", () => {
  it.each([
    ["brayns__3.2.0.sif", { kind: "prod", name: "brayns" }],
    ["brayns__3.2.0__feature-x.sif", { kind: "branch", name: "brayns", branch: "feature-x" }],
    ["brayns__3.2.0__feature-x-arm64.sif", { kind: "branch", name: "brayns", branch: "feature-x-arm64" }],
    ["ubuntu__22.04__amd64.sif", { kind: "custom", name: "ubuntu" }],
    ["ubuntu__22.04__some-branch__arm64.sif", { kind: "custom", name: "ubuntu" }],
    // The original split on "__" and took "branch.sif" as the branch, so no branch matched.
    ["a__b__c__d.sif", { kind: "unknown" }],
    ["brayns__3.2.0__.sif", { kind: "unknown" }],
    ["brayns.sif", { kind: "unknown" }],
    ["brayns__3.2.0.img", { kind: "unknown" }],
  ])("%s", (name, expected) => {
    expect(classifySifName(name)).toEqual(expected);
  });
});
