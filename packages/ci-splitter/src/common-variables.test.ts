import { describe, expect, it } from "vitest";
import { commonKeywords, commonVariables } from "./common-variables.js";

type Item = Record<string, unknown>;
const KEYS = ["image", "tags", "timeout", "before_script"] as const;
const keywordOf = (item: Item, key: string) => item[key];

describe("commonKeywords", () => {
  it("keeps a keyword every item has with an equal value, shared or an equal copy", () => {
    const tags = ["kubernetes", "amd64"];
    const items: Item[] = [
      { tags, image: { name: "builder", entrypoint: [""] }, timeout: "4h" },
      { tags, image: { name: "builder", entrypoint: [""] }, timeout: "4h" },
      { tags: ["kubernetes", "amd64"], image: { name: "builder", entrypoint: [""] }, timeout: "4h" },
    ];
    expect(commonKeywords(items, KEYS, keywordOf)).toEqual({
      image: { name: "builder", entrypoint: [""] },
      tags: ["kubernetes", "amd64"],
      timeout: "4h",
    });
  });

  it("leaves out a keyword one item lacks or has with another value, wherever that item is", () => {
    const base = { tags: ["a"], timeout: "4h", before_script: ["setup"] };
    for (const position of [0, 1, 2]) {
      const items: Item[] = [{ ...base }, { ...base }, { ...base }];
      items[position] = { tags: ["a"], timeout: "1h" };
      expect(commonKeywords(items, KEYS, keywordOf)).toEqual({ tags: ["a"] });
    }
  });

  it("asks only for the keys it is given, and gives nothing for no items", () => {
    const asked: string[] = [];
    const items: Item[] = [
      { tags: ["a"], script: ["x"] },
      { tags: ["a"], script: ["x"] },
    ];
    const common = commonKeywords(items, ["tags"], (item, key) => {
      asked.push(key);
      return item[key];
    });
    expect(common).toEqual({ tags: ["a"] });
    expect(new Set(asked)).toEqual(new Set(["tags"]));
    expect(commonKeywords([], KEYS, keywordOf)).toEqual({});
  });
});

describe("commonVariables", () => {
  it("keeps the variables every item has with the same value", () => {
    const items: Array<Record<string, string>> = [
      { A: "1", B: "2", C: "3" },
      { A: "1", B: "other", C: "3" },
      { A: "1", C: "3" },
    ];
    expect(
      commonVariables(
        items,
        (item) => item,
        (item, key) => item[key],
      ),
    ).toEqual({ A: "1", C: "3" });
  });
});
