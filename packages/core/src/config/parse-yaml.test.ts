import { expect, test } from "vitest";
import { formatProblem } from "../errors/spacktainers-error.js";
import { INPUT_LIMITS } from "./input-limits.js";
import { parseYaml } from "./parse-yaml.js";

const parse = (text: string) => {
  const { value, problems } = parseYaml({ text, file: "x.yaml" });
  return { value, problems: problems.map(formatProblem) };
};

/** The "billion laughs": `levels` anchors, each a list of `width` aliases of the one before. */
function laughs(levels: number, width: number): string {
  const lines = [`l0: &l0 [${Array(width).fill("lol").join(", ")}]`];
  for (let level = 1; level < levels; level++)
    lines.push(
      `l${level}: &l${level} [${Array(width)
        .fill(`*l${level - 1}`)
        .join(", ")}]`,
    );
  return `${lines.join("\n")}\n`;
}

test("a mis-indented list item is one syntax error, located at the item, with its line and a hint", () => {
  expect(parse("spack:\n  specs:\n    - zlib\n  - hdf5\n")).toEqual({
    value: undefined,
    problems: [
      `x.yaml:4:3: YAML syntax error: A block sequence may not be used as an implicit map key
  4 |   - hdf5
    |   ^
  hint: this line is indented differently from the lines above it: give every "- " item of a list, and every key of a mapping, the same indentation`,
    ],
  });
});

test("duplicate keys are each reported; a long line is shown around the column", () => {
  const long = `key: ${"x".repeat(300)}\nkey: 1\nkey: 2\n`;
  const { problems } = parse(long);
  expect(problems.map((problem) => problem.split("\n")[0])).toEqual([
    "x.yaml:2:1: YAML duplicate key: Map keys must be unique",
    "x.yaml:3:1: YAML duplicate key: Map keys must be unique",
  ]);
  const wide = parse(`a: [${"y, ".repeat(60)}\n`).problems[0]!.split("\n");
  expect(wide[1]!.length).toBeLessThan(120);
  expect(wide[1]!.indexOf("…")).toBeGreaterThan(0);
});

test("aliases: harmless reuse is read; an exponential chain, a self-reference and too many aliases are refused", () => {
  expect(parse("base: &b {x: 1}\none: *b\ntwo: *b\n").value).toEqual({
    base: { x: 1 },
    one: { x: 1 },
    two: { x: 1 },
  });
  // Four levels of ten (11,110 values) stay under the limit; yaml's own product-of-counts guard refused them.
  expect(parse(laughs(4, 10)).problems).toEqual([]);
  // l0 is 10 values, each next level 1 + 9 × the previous: l7 = 48,427,561, l8 = 435,848,050; the
  // document expands to 490,329,064 values where its text holds 100.
  expect(parse(laughs(9, 9)).problems).toEqual([
    `x.yaml:9:10: YAML aliases in this file expand to 490,328,964 more values, over the limit of 100,000 (*l7 here alone stands for 48,427,561)
  9 | l8: &l8 [*l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7]
    |          ^
  hint: aliases that repeat aliases grow exponentially; write the values out instead`,
  ]);
  expect(parse("a: &a [x, *a]\n").problems.map((problem) => problem.split("\n")[0])).toEqual([
    "x.yaml:1:11: the alias *a refers to a value that contains it, which never ends once expanded",
  ]);
  const many = `- &z zlib\n${"- *z\n".repeat(INPUT_LIMITS.yamlAliases + 1)}`;
  expect(parse(many).problems.map((problem) => problem.split("\n")[0])).toEqual([
    `x.yaml:${INPUT_LIMITS.yamlAliases + 2}:3: this file holds 1,001 YAML aliases (*name); at most 1,000 are read`,
  ]);
});
