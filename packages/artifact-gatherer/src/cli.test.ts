import { describe, expect, test } from "vitest";
import { parseJobTarget, parseSize } from "./cli.js";
import { parseNextLink } from "./gitlab-client.js";

describe("argument parsing", () => {
  test("parseSize", () => {
    expect(["1000", "4GiB", "512 MiB", "1.5k", "2MB", "lots", "-1", ""].map(parseSize)).toEqual([
      1000,
      4 * 1024 ** 3,
      512 * 1024 ** 2,
      1536,
      2_000_000,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test("parseJobTarget splits at the last =", () => {
    expect(
      ["plan containers for amd64=out/plan", "build: [a=1]=dir", "alone", "empty="].map(parseJobTarget),
    ).toEqual([
      { job: "plan containers for amd64", directory: "out/plan" },
      { job: "build: [a=1]", directory: "dir" },
      { job: "alone", directory: "." },
      { job: "empty", directory: "." },
    ]);
  });

  test("parseNextLink reads rel=next among other relations", () => {
    const link =
      '<https://gitlab.example.com/api/v4/projects/8/jobs?page=1&per_page=3>; rel="prev", <https://gitlab.example.com/api/v4/projects/8/jobs?page=3&per_page=3>; rel="next", <https://gitlab.example.com/api/v4/projects/8/jobs?page=1&per_page=3>; rel="first"';
    expect(parseNextLink(link)).toBe("https://gitlab.example.com/api/v4/projects/8/jobs?page=3&per_page=3");
    expect(parseNextLink('<https://x/a?page=1>; rel="first"')).toBeUndefined();
    expect(parseNextLink(undefined)).toBeUndefined();
  });
});
