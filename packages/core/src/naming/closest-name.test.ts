import { expect, test } from "vitest";
import { closestName, editDistance } from "./closest-name.js";

test("a swap of neighbouring letters is one edit", () => {
  expect([
    editDistance("amd46", "amd64"),
    editDistance("genrate", "generate"),
    editDistance("", "abc"),
  ]).toEqual([1, 1, 3]);
});

test("suggests the closest candidate, or nothing when none is close", () => {
  const commands = ["generate", "containers", "split", "validate", "graph", "plan"];
  expect([
    closestName("genrate", commands),
    closestName("valdiate", commands),
    closestName("grpah", commands),
    closestName("amd46", ["amd64", "arm64"]),
    closestName("x86", ["amd64", "arm64"]),
    closestName("deploy", commands),
  ]).toEqual(["generate", "validate", "graph", "amd64", undefined, undefined]);
});
