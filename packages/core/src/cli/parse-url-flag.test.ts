import { expect, test } from "vitest";
import { parseUrlFlag, urlFlag } from "./parse-url-flag.js";

test("URL flags: http(s) URLs with a host pass unchanged; anything else says what is wrong", () => {
  const outcome = (value: string) => {
    try {
      return parseUrlFlag(value);
    } catch (error) {
      return (error as Error).message.split(";")[0];
    }
  };
  expect(
    [
      "https://s3.example.org",
      "http://127.0.0.1:9000/",
      "http://[::1]:9000",
      "notaurl",
      "http://[::1",
      "http://a b:9",
      "ftp://x",
      "http://",
    ].map(outcome),
  ).toEqual([
    "https://s3.example.org",
    "http://127.0.0.1:9000/",
    "http://[::1]:9000",
    '"notaurl" is not a URL: it does not start with http:// or https://',
    '"http://[::1" is not a URL: its "[" of an IPv6 address is not closed',
    '"http://a b:9" is not a URL: it contains a space',
    '"ftp://x" uses ftp://, not http:// or https://',
    '"http://" is not a URL: it does not parse as a URL',
  ]);
});

test("urlFlag shows an example of its own kind of server", () => {
  expect(() => urlFlag("https://gitlab.example.org/api/v4")("gitlab")).toThrow(
    '"gitlab" is not a URL: it does not start with http:// or https://; expected http(s)://host[:port], e.g. https://gitlab.example.org/api/v4 or http://127.0.0.1:9000',
  );
  expect(urlFlag("https://gitlab.example.org")("https://gitlab.com")).toBe("https://gitlab.com");
});
