import { describe, expect, it } from "vitest";
import { parseImageReference } from "./parse-image-reference.js";

const digest = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("parseImageReference", () => {
  it.each([
    ["bluebrain/nexus-storage:latest", { repository: "bluebrain/nexus-storage", tag: "latest" }],
    ["bluebrain/nexus-storage", { repository: "bluebrain/nexus-storage", tag: "latest" }],
    ["ubuntu:22.04", { repository: "ubuntu", tag: "22.04" }],
    [
      "registry.example.org:5050/ns/img:tag",
      { registry: "registry.example.org:5050", repository: "ns/img", tag: "tag" },
    ],
    [
      "registry.example.org:5050/ns/img",
      { registry: "registry.example.org:5050", repository: "ns/img", tag: "latest" },
    ],
    ["localhost/img:1.0", { registry: "localhost", repository: "img", tag: "1.0" }],
    ["localhost:5000/a/b/c", { registry: "localhost:5000", repository: "a/b/c", tag: "latest" }],
    [`img@${digest}`, { repository: "img", tag: "latest", digest }],
    [`quay.io/ns/img:1.2@${digest}`, { registry: "quay.io", repository: "ns/img", tag: "1.2", digest }],
    [
      "ghcr.io/my_org/my__img-x:v1.0_rc-2",
      { registry: "ghcr.io", repository: "my_org/my__img-x", tag: "v1.0_rc-2" },
    ],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual({ value: { ...expected, original: text } });
  });

  it.each([
    ["", "the image reference is empty"],
    ["a b", '"a b" contains whitespace; expected one image reference'],
    [
      "docker://ubuntu",
      '"docker://ubuntu" has a URL scheme; with "Bootstrap: docker" write the reference without "docker://"',
    ],
    [
      "Ubuntu:22.04",
      '"Ubuntu" is not a valid repository name component in "Ubuntu:22.04"; use lowercase letters, digits and separators "." "_" "__" "-"',
    ],
    ["img@sha256:abc", '"sha256:abc" is not a digest; expected sha256: followed by 64 hex characters'],
    [
      `img@sha256:${"A".repeat(64)}`,
      `"sha256:${"A".repeat(64)}" is not a sha256 digest; expected sha256: followed by 64 lowercase hex characters`,
    ],
    ["img:-bad", '"-bad" is not a valid tag; tags use letters, digits, "_", "." and "-" (at most 128)'],
    ["reg.example.org:port/img", '"reg.example.org:port" is not a registry host[:port]'],
    [
      "ns//img",
      '"" is not a valid repository name component in "ns//img"; use lowercase letters, digits and separators "." "_" "__" "-"',
    ],
  ])("rejects %j", (text, error) => {
    expect(parseImageReference(text)).toEqual({ error });
  });
});
