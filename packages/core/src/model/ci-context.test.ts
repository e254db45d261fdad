import { expect, test } from "vitest";
import { readCiContext, slugifyRef } from "./ci-context.js";

const now = new Date("2026-11-28T00:00:00Z");

test("GitLab's ref slug rule", () => {
  expect(slugifyRef("Feature/ÄBC_1--x-")).toBe("feature--bc-1--x");
  expect(slugifyRef("a".repeat(80))).toHaveLength(63);
});

test("prod compares the ref NAME with the default branch (the reference compared the slug)", () => {
  const context = readCiContext({
    env: {
      CI: "true",
      CI_COMMIT_REF_NAME: "Release/1",
      CI_COMMIT_REF_SLUG: "release-1",
      CI_DEFAULT_BRANCH: "Release/1",
      CI_COMMIT_REF_PROTECTED: "true",
      CI_PIPELINE_ID: "42",
    },
    now,
  });
  expect(context).toEqual({
    refName: "Release/1",
    refSlug: "release-1",
    defaultBranch: "Release/1",
    isProd: true,
    isProtected: true,
    pipelineId: "42",
    now,
    offline: false,
  });
});

test("offline defaults: branch from the caller or 'local', overrides win", () => {
  expect(readCiContext({ env: {}, now })).toEqual({
    refName: "local",
    refSlug: "local",
    defaultBranch: "main",
    isProd: false,
    isProtected: false,
    now,
    offline: true,
  });
  expect(readCiContext({ env: {}, now, fallbackRefName: "main" }).isProd).toBe(true);
  expect(
    readCiContext({ env: { CI_COMMIT_REF_NAME: "x" }, now, overrides: { refName: "y", projectId: "7" } }),
  ).toMatchObject({ refName: "y", refSlug: "y", projectId: "7" });
});

test('a ref is protected only when GitLab says exactly "true"', () => {
  const protectedWhen = (value: string | undefined) =>
    readCiContext({ env: { CI: "true", CI_COMMIT_REF_PROTECTED: value }, now }).isProtected;
  expect([protectedWhen("true"), protectedWhen("false"), protectedWhen(undefined)]).toEqual([
    true,
    false,
    false,
  ]);
});
