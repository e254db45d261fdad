import { describe, expect, test } from "vitest";
import { parseJobTarget, parseSize } from "./cli.js";
import { parseNextLink } from "./gitlab-client.js";
import { mapWithConcurrency } from "./map-with-concurrency.js";

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

describe("mapWithConcurrency", () => {
  test("keeps order and never exceeds the limit", async () => {
    let running = 0;
    let peak = 0;
    const result = await mapWithConcurrency([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n * 3));
      running--;
      return n * 10;
    });
    expect({ result, peak }).toEqual({ result: [50, 10, 40, 20, 30], peak: 2 });
  });

  test("stops starting new items after a failure and throws the first error", async () => {
    const started: number[] = [];
    const error = await mapWithConcurrency([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("two failed");
      return n;
    }).catch((e: Error) => e.message);
    expect({ error, started }).toEqual({ error: "two failed", started: [1, 2] });
  });
});
