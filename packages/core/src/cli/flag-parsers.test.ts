import { expect, test } from "vitest";
import {
  checkNumberRange,
  choiceFlag,
  dateFlag,
  durationFlag,
  keyValueFlag,
  numberFlag,
} from "./flag-parsers.js";

function outcome<T>(parse: (text: string) => T, text: string): T | string {
  try {
    return parse(text);
  } catch (error) {
    return (error as Error).message;
  }
}

test("numbers: range, whole numbers, blanks refused", () => {
  const count = numberFlag({ min: 1, max: 64, integer: true });
  expect(["4", "0", "65", "2.5", "", " ", "4x"].map((text) => outcome(count, text))).toEqual([
    4,
    'takes a whole number between 1 and 64, got "0"',
    'takes a whole number between 1 and 64, got "65"',
    'takes a whole number between 1 and 64, got "2.5"',
    'takes a whole number between 1 and 64, got ""',
    'takes a whole number between 1 and 64, got " "',
    'takes a whole number between 1 and 64, got "4x"',
  ]);
  expect(checkNumberRange(0.5, { min: 0, max: 1 })).toBeUndefined();
  expect(checkNumberRange(-1, { min: 0 })).toBe("takes a number ≥ 0, got -1");
});

test("choices, ISO dates and durations", () => {
  expect(outcome(choiceFlag(["a", "b"]), "b")).toBe("b");
  expect(outcome(choiceFlag(["a", "b"]), "c")).toBe('takes one of a, b, got "c"');
  expect((outcome(dateFlag, "2026-01-31T12:00:00+01:00") as Date).toISOString()).toBe(
    "2026-01-31T11:00:00.000Z",
  );
  expect((outcome(dateFlag, "2026-01-31") as Date).toISOString()).toBe("2026-01-31T00:00:00.000Z");
  expect(outcome(dateFlag, "1")).toMatch(/^takes an ISO 8601 date/);
  expect(outcome(dateFlag, "2026-13-45")).toMatch(/^takes an ISO 8601 date/);
  const minutes = durationFlag({ unit: "minutes", min: 0 });
  const days = durationFlag({ unit: "days", min: 0 });
  expect(["60", "45s", "15m", "2h", "1d", "1.5h"].map((text) => outcome(minutes, text))).toEqual([
    60, 0.75, 15, 120, 1440, 90,
  ]);
  expect(["30", "12h", "2d"].map((text) => outcome(days, text))).toEqual([30, 0.5, 2]);
  expect(outcome(minutes, "-5")).toMatch(/^takes a duration in minutes/);
});

test("KEY=VALUE pairs: split at the first =, empty values kept, the key's form checked", () => {
  const any = keyValueFlag();
  expect(["A=1", "B_2=x=y", "EMPTY=", "=1", "NOEQUALS"].map((text) => outcome(any, text))).toEqual([
    ["A", "1"],
    ["B_2", "x=y"],
    ["EMPTY", ""],
    'takes KEY=VALUE, got "=1"',
    'takes KEY=VALUE, got "NOEQUALS"',
  ]);
  const metadata = keyValueFlag({ key: /^[a-z0-9][a-z0-9-]*$/, keyRule: "a key of a-z 0-9 -" });
  expect(["digest=sha256:ab", "Bad Key=1"].map((text) => outcome(metadata, text))).toEqual([
    ["digest", "sha256:ab"],
    'takes KEY=VALUE with a key of a-z 0-9 -, got "Bad Key=1"',
  ]);
});
