import { describe, expect, it } from "vitest";
import { parseDefFile } from "./parse-def-file.js";

const file = "container_definitions/amd64/x.def";

describe("parseDefFile", () => {
  it("reads the reference nexus-storage.def", () => {
    const text =
      "Bootstrap: docker\nFrom: bluebrain/nexus-storage:latest\n\n%startscript\n   /opt/docker/bin/storage $@\n";
    expect(parseDefFile({ text, file })).toEqual({
      value: {
        source: {
          repository: "bluebrain/nexus-storage",
          tag: "latest",
          original: "bluebrain/nexus-storage:latest",
        },
      },
      problems: [],
    });
  });

  it("accepts case-insensitive keywords, comments, CRLF and a registry with port", () => {
    const text =
      "# wraps our image\r\nbootstrap: Docker\r\n  FROM:   registry.example.org:5050/ns/img  \r\n%post\r\nFrom: ignored:1\r\n";
    expect(parseDefFile({ text, file })).toEqual({
      value: {
        source: {
          registry: "registry.example.org:5050",
          repository: "ns/img",
          tag: "latest",
          original: "registry.example.org:5050/ns/img",
        },
      },
      problems: [],
    });
  });

  it("reports a missing From: (a From: after %post does not count)", () => {
    expect(parseDefFile({ text: "Bootstrap: docker\n%post\nFrom: ubuntu\n", file })).toEqual({
      problems: [
        {
          code: "DEF_INVALID",
          message: 'the header has no "From:" line, so there is no source image',
          hint: 'add "From: <image>:<tag>" before the first %section, e.g. "From: bluebrain/nexus-storage:latest"',
          file,
          line: 1,
          col: 1,
        },
      ],
    });
  });

  it("reports every header problem at once, located", () => {
    const text = "Bootstrap: library\nFrom: Bad Image\nFrom: ubuntu\n";
    expect(parseDefFile({ text, file }).problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      '3:1 "From:" is given twice (first on line 2)',
      '1:12 "Bootstrap: library" is not supported; spacktainers wraps registry images only',
      '2:7 "From:" "Bad Image" contains whitespace; expected one image reference',
    ]);
  });

  it("reports a missing Bootstrap:", () => {
    expect(parseDefFile({ text: "From: ubuntu:22.04\n", file }).problems.map((p) => p.message)).toEqual([
      'the header has no "Bootstrap:" line',
    ]);
  });
});
