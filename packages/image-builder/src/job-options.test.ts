import { compareLabels, identityLabels } from "@spacktainers/core";
import { describe, expect, test } from "vitest";
import { assertVariableName, loginLine, shellQuote, variableSuffix } from "./job-options.js";
import { parseAuthenticateHeader } from "./registry-client.js";

describe("shell and naming helpers", () => {
  test("shellQuote keeps plain words, double-quotes $VAR references, single-quotes the rest", () => {
    expect(
      ["a=b", "ch.epfl.bbpgitlab.x=1", "x=$CI_COMMIT_SHA", "it's", "a b", 'q"$X', "$(rm -rf /)"].map(
        shellQuote,
      ),
    ).toEqual([
      "a=b",
      "ch.epfl.bbpgitlab.x=1",
      '"x=$CI_COMMIT_SHA"',
      `'it'\\''s'`,
      "'a b'",
      `'q"$X'`,
      "'$(rm -rf /)'",
    ]);
  });

  test("variable names only: a pasted secret is refused", () => {
    expect(assertVariableName("CI_REGISTRY_PASSWORD", "x")).toBe("CI_REGISTRY_PASSWORD");
    expect(() => assertVariableName("hunter2!", "registry password variable")).toThrow(
      "registry password variable must be the NAME of a CI variable, got an invalid name",
    );
    expect(() =>
      loginLine("buildah", { registry: "$CI_REGISTRY", userVar: "U", passwordVar: "p@ss word" }, true),
    ).toThrow("registry password variable must be the NAME of a CI variable");
    expect(variableSuffix("neurodamus-hippocampus")).toBe("NEURODAMUS_HIPPOCAMPUS");
  });

  test("parseAuthenticateHeader", () => {
    expect(
      parseAuthenticateHeader(
        'Bearer realm="https://gitlab.example.org/jwt/auth",service="container_registry",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: "bearer",
      params: {
        realm: "https://gitlab.example.org/jwt/auth",
        service: "container_registry",
        scope: "repository:a/b:pull",
      },
    });
    expect(parseAuthenticateHeader('Basic realm="Registry Realm"')).toEqual({
      scheme: "basic",
      params: { realm: "Registry Realm" },
    });
  });

  test("compareLabels lists every difference; identityLabels drops the OCI ones", () => {
    expect(compareLabels({ a: "1", b: "2" }, { a: "1", b: "3", c: "4" })).toEqual([
      "label b is 2, expected 3",
      "label c missing (expected 4)",
    ]);
    expect(identityLabels({ "p.x": "1", "org.opencontainers.image.created": "now" }, "p.")).toEqual({
      "p.x": "1",
    });
  });
});
