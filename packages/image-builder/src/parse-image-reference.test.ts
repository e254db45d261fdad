import { describe, expect, test } from "vitest";
import { formatImageReference, parseImageReference } from "./parse-image-reference.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseImageReference", () => {
  test.each([
    [
      "ubuntu",
      { registry: "registry-1.docker.io", repository: "library/ubuntu", tag: "latest", original: "ubuntu" },
    ],
    [
      "bluebrain/nexus-storage:latest",
      {
        registry: "registry-1.docker.io",
        repository: "bluebrain/nexus-storage",
        tag: "latest",
        original: "bluebrain/nexus-storage:latest",
      },
    ],
    [
      "registry.example.org:5050/hpc/spacktainers/builder:0123456789ab",
      {
        registry: "registry.example.org:5050",
        repository: "hpc/spacktainers/builder",
        tag: "0123456789ab",
        original: "registry.example.org:5050/hpc/spacktainers/builder:0123456789ab",
      },
    ],
    [
      `localhost/img@${DIGEST}`,
      {
        registry: "localhost",
        repository: "img",
        tag: "latest",
        digest: DIGEST,
        original: `localhost/img@${DIGEST}`,
      },
    ],
    [
      "docker.io/library/python:3.12",
      {
        registry: "registry-1.docker.io",
        repository: "library/python",
        tag: "3.12",
        original: "docker.io/library/python:3.12",
      },
    ],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  test("invalid references name the part that is wrong", () => {
    expect(() => parseImageReference("Upper/Case:1")).toThrow(
      'invalid image reference "Upper/Case:1": "Upper" is not a valid repository name component',
    );
    expect(() => parseImageReference("img@sha256:123")).toThrow(
      '"sha256:123" is not a digest; expected sha256: followed by 64 hex characters',
    );
  });

  test("formatImageReference prefers the digest", () => {
    expect(formatImageReference(parseImageReference("ubuntu:22.04"))).toBe(
      "registry-1.docker.io/library/ubuntu:22.04",
    );
    expect(formatImageReference(parseImageReference(`a.b/c:1@${DIGEST}`))).toBe(`a.b/c@${DIGEST}`);
  });
});
