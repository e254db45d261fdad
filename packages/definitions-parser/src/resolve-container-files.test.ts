import { sha256Hex } from "@spacktainers/core";
import { useTempDir } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { resolveContainerFiles } from "./resolve-container-files.js";

const tree = {
  "files/app/run.sh": "#!/bin/sh\necho run\n",
  "files/app/conf/a.json": "{}\n",
  "files/app/conf/sub/b.txt": "b\n",
  "files/app/inside-link": { symlink: "run.sh" },
  "files/escape": { symlink: "../secret.txt" },
  "files/dangling": { symlink: "nowhere" },
  "files/leaky/ok.txt": "ok\n",
  "files/leaky/out": { symlink: "../../secret.txt" },
  "secret.txt": "do not copy\n",
  "other/thing.txt": "x\n",
};

function entry(text: string, line: number) {
  return { text, location: { file: "def.yaml", line, col: 5 } };
}

describe("resolveContainerFiles", () => {
  it("resolves files and folders, with checksum entries of their content", async () => {
    const root = await useTempDir(tree);
    const result = await resolveContainerFiles({
      root,
      entries: [
        entry("files/app/run.sh:/opt/app/run.sh", 1),
        entry("./files/app/conf/:/etc/app", 2),
        entry("files/app/inside-link:/opt/app/link.sh", 3),
      ],
    });
    expect({
      ...result,
      checksumEntries: result.checksumEntries.map(({ path, bytes }) => [path, sha256Hex(bytes)]),
    }).toEqual({
      files: [
        {
          source: "files/app/run.sh",
          target: "/opt/app/run.sh",
          type: "file",
          location: entry("", 1).location,
        },
        { source: "files/app/conf", target: "/etc/app", type: "directory", location: entry("", 2).location },
        {
          source: "files/app/inside-link",
          target: "/opt/app/link.sh",
          type: "file",
          location: entry("", 3).location,
        },
      ],
      checksumEntries: [
        ["files/app/run.sh", sha256Hex("#!/bin/sh\necho run\n")],
        ["files/app/conf/a.json", sha256Hex("{}\n")],
        ["files/app/conf/sub/b.txt", sha256Hex("b\n")],
        ["files/app/inside-link", sha256Hex("#!/bin/sh\necho run\n")],
      ],
      problems: [],
    });
  });

  it("reports every kind of bad entry, each at its list item", async () => {
    const root = await useTempDir(tree);
    const entries = [
      "files/app/run.sh",
      "files/../secret.txt:/opt/b",
      "/etc/passwd:/opt/c",
      "files/missing.sh:/opt/d",
      "other/thing.txt:/opt/e",
      "files/escape:/opt/f",
      "files/dangling:/opt/g",
      "files/leaky:/opt/leaky",
      "files/app/run.sh:opt/run.sh",
      "files/app/run.sh:/opt/../run.sh",
      "files/app/conf:/opt/app/run.sh",
      "files/app/conf:/opt/app/run.sh",
      ":/opt/empty",
      "files:/opt/all",
    ].map((text, index) => entry(text, index + 1));
    const { files, problems } = await resolveContainerFiles({ root, entries });
    expect(files).toEqual([
      {
        source: "files/app/conf",
        target: "/opt/app/run.sh",
        type: "directory",
        location: entry("", 11).location,
      },
    ]);
    expect(
      problems.map((p) => `${p.line}: ${p.message}${p.hint?.startsWith("write") ? "" : ` [${p.hint}]`}`),
    ).toEqual([
      '1: files entry "files/app/run.sh" has no ":" between source and target',
      '2: files entry "files/../secret.txt:/opt/b": source "files/../secret.txt" contains ".."; sources must stay under files/',
      '3: files entry "/etc/passwd:/opt/c": source "/etc/passwd" is absolute; sources are relative to the repository root and lie under files/',
      '4: files entry "files/missing.sh:/opt/d": source "files/missing.sh" does not exist [create files/missing.sh in the repository, or fix the path (it is relative to the repository root)]',
      '5: files entry "other/thing.txt:/opt/e": source "other/thing.txt" is not under files/ [move the file to files/<container>/ and write e.g. \'files/thing.txt:/opt/e\']',
      '6: files entry "files/escape:/opt/f": source "files/escape" resolves to a path outside files/ through a symlink [copy the file into files/<container>/ instead of linking to it]',
      '7: files entry "files/dangling:/opt/g": source "files/dangling" is a symlink whose target does not exist [replace the symlink by the file itself]',
      '8: files entry "files/leaky:/opt/leaky": folder "files/leaky" holds symlinks that leave files/ or dangle: files/leaky/out [replace those symlinks by the files themselves]',
      '9: files entry "files/app/run.sh:opt/run.sh": target "opt/run.sh" is not an absolute path in the image',
      '10: files entry "files/app/run.sh:/opt/../run.sh": target "/opt/../run.sh" must not contain "." or ".." segments',
      '12: files entry "files/app/conf:/opt/app/run.sh": target "/opt/app/run.sh" is already written by the entry on line 11 [copy each target once]',
      '13: files entry ":/opt/empty" has an empty source',
      '14: files entry "files:/opt/all": source "files" is the whole files/ folder [copy files/<container>/ or single files in it]',
    ]);
    expect(
      problems.every((p) => p.code === "FILES_ENTRY_INVALID" && p.file === "def.yaml" && p.col === 5),
    ).toBe(true);
  });
});
