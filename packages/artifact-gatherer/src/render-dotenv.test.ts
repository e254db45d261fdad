import { describe, expect, test } from "vitest";
import { renderDotenv } from "./render-dotenv.js";

describe("renderDotenv", () => {
  test("renders one line per variable, values kept verbatim", () => {
    const variables = [
      { name: "A", value: "1" },
      { name: "B_2", value: "x=y" },
      { name: "EMPTY", value: "" },
    ];
    expect(renderDotenv(variables)).toBe("A=1\nB_2=x=y\nEMPTY=\n");
  });

  test("exactly at GitLab's limits is accepted", () => {
    // 20 lines of `Vnn=<value>\n`: 4 + 1 + 251 bytes each = 5120.
    const variables = Array.from({ length: 20 }, (_, i) => ({
      name: `V${String(i).padStart(2, "0")}`,
      value: "v".repeat(251),
    }));
    expect(Buffer.byteLength(renderDotenv(variables))).toBe(5120);
    variables[0]!.value += "v";
    expect(() => renderDotenv(variables)).toThrow("5121 bytes, GitLab accepts at most 5120");
  });

  test("duplicates are reported", () => {
    expect(() =>
      renderDotenv([
        { name: "A", value: "1" },
        { name: "A", value: "2" },
      ]),
    ).toThrow("A: defined twice");
  });
});
