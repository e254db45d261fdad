import { describe, expect, test } from "vitest";
import { mapWithConcurrency } from "./map-with-concurrency.js";

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

test("lets the calls in flight settle before it throws, so none outlives the caller's cleanup", async () => {
  const settled: number[] = [];
  const error = await mapWithConcurrency([1, 2, 3], 3, async (n) => {
    if (n === 1) throw new Error("one failed");
    await new Promise((resolve) => setTimeout(resolve, 20));
    settled.push(n);
    return n;
  }).catch((e: Error) => e.message);
  expect({ error, settled }).toEqual({ error: "one failed", settled: [2, 3] });
});
