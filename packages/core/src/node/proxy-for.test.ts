import { describe, expect, test } from "vitest";
import { proxyFor } from "./proxy-for.js";

describe("proxyFor", () => {
  const env = {
    HTTPS_PROXY: "http://secure-proxy:3128",
    http_proxy: "http://plain-proxy:3128",
    NO_PROXY: "internal.example.org, .corp.example, 127.0.0.1, s3.lab:9000",
  };

  test.each([
    ["https://s3.amazonaws.com/bucket", "http://secure-proxy:3128"],
    ["http://s3.lab:9001/bucket", "http://plain-proxy:3128"],
    ["http://s3.lab:9000/bucket", undefined],
    ["https://internal.example.org", undefined],
    ["https://a.internal.example.org", undefined],
    ["https://notinternal.example.org", "http://secure-proxy:3128"],
    ["https://corp.example", undefined],
    ["https://x.corp.example", undefined],
    ["http://127.0.0.1:8080", undefined],
  ])("%s → %s", (url, expected) => {
    expect(proxyFor(url, env)).toBe(expected);
  });

  test("no proxy variable, an empty one, or NO_PROXY=* means a direct connection", () => {
    expect(proxyFor("https://example.org", {})).toBeUndefined();
    expect(proxyFor("https://example.org", { https_proxy: "", HTTPS_PROXY: "" })).toBeUndefined();
    expect(proxyFor("https://example.org", { HTTPS_PROXY: "http://p:1", no_proxy: "*" })).toBeUndefined();
  });

  test("the lower-case variable wins, as in curl", () => {
    expect(proxyFor("https://example.org", { https_proxy: "http://low:1", HTTPS_PROXY: "http://up:1" })).toBe(
      "http://low:1",
    );
  });
});
