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

describe("proxyFor: NO_PROXY address ranges", () => {
  const env = {
    HTTPS_PROXY: "http://p:3128",
    NO_PROXY: "10.0.0.0/8, 192.168.1.0/24, fd00::/8, [2001:db8::]/32",
  };
  test.each([
    ["https://10.20.30.40/bucket", undefined],
    ["https://10.255.255.255:9000", undefined],
    ["https://11.0.0.1", "http://p:3128"],
    ["https://192.168.1.7", undefined],
    ["https://192.168.2.7", "http://p:3128"],
    ["https://[fd12::1]:8443", undefined],
    ["https://[2001:db8:1::5]", undefined],
    ["https://[2001:db9::5]", "http://p:3128"],
    // A name is never resolved to check a range.
    ["https://s3.internal", "http://p:3128"],
  ])("%s → %s", (url, expected) => {
    expect(proxyFor(url, env)).toBe(expected);
  });

  test("malformed ranges match nothing", () => {
    for (const range of ["10.0.0.0/33", "10.0.0.0/x", "nohost/8", "10.0.0.0/"])
      expect(proxyFor("https://10.1.2.3", { HTTPS_PROXY: "http://p:3128", NO_PROXY: range })).toBe(
        "http://p:3128",
      );
  });
});
