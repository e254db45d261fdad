import { describe, expect, test } from "vitest";
import { readCiContext } from "../model/ci-context.js";
import { baseImageTag, customContainerTag, sifFileName, sifObjectKey, spackContainerTag } from "./names.js";

const now = new Date("2026-01-01T00:00:00Z");
const prod = readCiContext({
  env: { CI: "true", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main" },
  now,
});
const branch = readCiContext({
  env: { CI: "true", CI_COMMIT_REF_NAME: "My_Branch", CI_DEFAULT_BRANCH: "main" },
  now,
});

describe("the original tool's naming cases", () => {
  test("spack container tags", () => {
    expect(branch.refSlug).toBe("my-branch");
    expect(spackContainerTag({ version: "1.0.0", context: prod, arch: "amd64" })).toBe("1.0.0");
    expect(spackContainerTag({ version: "1.0.0", context: branch, arch: "amd64" })).toBe("1.0.0__my-branch");
    expect(spackContainerTag({ version: "2.1", context: branch, arch: "arm64" })).toBe(
      "2.1__my-branch-arm64",
    );
    expect(spackContainerTag({ version: "2.1", context: prod, arch: "arm64" })).toBe("2.1-arm64");
  });

  test("custom container SIF names", () => {
    const prodTag = customContainerTag({ sourceTag: "latest", context: prod, arch: "amd64" });
    const branchTag = customContainerTag({ sourceTag: "latest", context: branch, arch: "amd64" });
    expect(sifFileName("nexus-storage", prodTag)).toBe("nexus-storage__latest__amd64.sif");
    expect(sifFileName("nexus-storage", branchTag)).toBe("nexus-storage__latest__my-branch__amd64.sif");
  });
});

test("SIF keys join the prefix with exactly one slash", () => {
  expect([
    sifObjectKey("containers/", "a", "1"),
    sifObjectKey("containers", "a", "1"),
    sifObjectKey("", "a", "1"),
  ]).toEqual(["containers/a__1.sif", "containers/a__1.sif", "a__1.sif"]);
});

test("base image tags are content-addressed and refuse non-checksums", () => {
  expect(baseImageTag("ceb4648ebceb224cf7fa8f2d1578e0715d39c32cc77e7aafd8367d40263db2fb")).toBe(
    "ceb4648ebceb",
  );
  expect(() => baseImageTag("2024.02.14")).toThrow(/not a sha256/);
});
