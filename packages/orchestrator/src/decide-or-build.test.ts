import { SpacktainersError } from "@spacktainers/core";
import { expect, test } from "vitest";
import { decideOrBuild } from "./decide-or-build.js";

test("a check that fails means build, with the reason shown; a check that answers is kept", async () => {
  expect(await decideOrBuild(async () => ({ action: "skip" as const, reason: "up to date" }))).toEqual({
    action: "skip",
    reason: "up to date",
  });
  const refused = await decideOrBuild(async () => {
    throw new SpacktainersError({
      code: "REGISTRY_AUTH",
      message: "registry.example.org refused access to x (401)\nmore",
    });
  });
  expect(refused).toEqual({
    action: "build",
    reason: "could not check (registry.example.org refused access to x (401)); building to be safe",
  });
  expect(await decideOrBuild(async () => Promise.reject(new TypeError("fetch failed")))).toEqual({
    action: "build",
    reason: "could not check (TypeError); building to be safe",
  });
});
