import { expect, test, vi } from "vitest";
import { InputInvalidError, UsageError } from "./input-invalid-error.js";
import { collectSecretValues, createSecretMasker } from "./mask-secrets.js";
import { formatProblem, SpacktainersError } from "./spacktainers-error.js";

test("error identity survives a second copy of the package", async () => {
  vi.resetModules();
  const copy = await import("./spacktainers-error.js?copy" as string);
  const foreign = new copy.SpacktainersError({ code: "INPUT_INVALID", message: "from another copy" });
  expect(foreign instanceof SpacktainersError).toBe(false);
  expect(SpacktainersError.isInstance(foreign)).toBe(true);
  expect(SpacktainersError.isInstance(new Error("plain"))).toBe(false);
  expect(UsageError.isInstance(new UsageError("--x is required"))).toBe(true);
  expect(UsageError.isInstance(foreign)).toBe(false);
  expect(UsageError.isInstance(new InputInvalidError({ problems: [] }))).toBe(false);
});

test("input errors list every located problem and exit 2", () => {
  const error = new InputInvalidError({
    problems: [
      {
        code: "SCHEMA",
        message: "spack.specs must be array",
        file: "a.yaml",
        line: 2,
        col: 3,
        hint: "list specs",
      },
      { code: "NAME_INVALID", message: "bad name", file: "B C.yaml" },
    ],
    cause: new Error("root"),
  });
  expect(error.message).toBe(
    "2 problems found:\na.yaml:2:3: spack.specs must be array\n  hint: list specs\nB C.yaml: bad name",
  );
  expect([
    error.exitCode,
    error.code,
    SpacktainersError.isInstance(error),
    InputInvalidError.isInstance(error),
  ]).toEqual([2, "INPUT_INVALID", true, true]);
  expect((error.cause as Error).message).toBe("root");
  expect(formatProblem({ code: "INPUT_INVALID", message: "m", file: "f", line: 4 })).toBe("f:4:1: m");
});

test("a secret is masked in JSON output too, where its quotes and backslashes are escaped", () => {
  const secret = 'pa"ss\\word';
  const mask = createSecretMasker([secret]);
  expect(mask(JSON.stringify({ password: secret }))).toBe('{"password":"[MASKED]"}');
});

test("secrets are masked: named variables, secret-looking names, URL passwords; short values are not", () => {
  const env = {
    MY_KEY_VAR: "AKIA-sentinel-123",
    GITLAB_API_TOKEN: "glpat-abcdef",
    HOME: "/root",
    ODD: "x",
    API_TOKEN: "ab",
  };
  const values = collectSecretValues(env, ["MY_KEY_VAR"]);
  expect(values.sort()).toEqual(["AKIA-sentinel-123", "glpat-abcdef"]);
  const mask = createSecretMasker(values);
  expect(
    mask("key AKIA-sentinel-123 token glpat-abcdef home /root at https://user:hunter22@example.org/x ab"),
  ).toBe("key [MASKED] token [MASKED] home /root at https://user:[MASKED]@example.org/x ab");
});
