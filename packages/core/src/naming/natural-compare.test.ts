import { expect, test } from "vitest";
import { naturalSort } from "./natural-compare.js";

test("natural order puts stage-2 before stage-10 and is locale-independent", () => {
  expect(naturalSort(["stage-10", "stage-2", "stage-rebuild-index", "stage-1", "Stage-1", "a"])).toEqual([
    "a",
    "stage-1",
    "Stage-1",
    "stage-2",
    "stage-10",
    "stage-rebuild-index",
  ]);
});
