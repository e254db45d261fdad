import { readFile } from "node:fs/promises";
import { expect, test } from "vitest";
import { containerChecksum, lockChecksum, sha256Hex, treeChecksum } from "./checksums.js";

const brayns = await readFile(new URL("../../__fixtures__/brayns.yaml", import.meta.url));
const bytes = (text: string) => new TextEncoder().encode(text);

test("a definition alone keeps the original tool's checksum (sha256 of the file)", () => {
  expect(containerChecksum([{ path: "container_definitions/amd64/brayns.yaml", bytes: brayns }])).toBe(
    "ceb4648ebceb224cf7fa8f2d1578e0715d39c32cc77e7aafd8367d40263db2fb",
  );
  expect(lockChecksum(brayns)).toBe(sha256Hex(brayns));
});

test("copied files and the epilogue change the container checksum; input order does not", () => {
  const definition = { path: "a/spack.yaml", bytes: brayns };
  const epilogue = { path: "a/Dockerfile.epilogue", bytes: bytes("RUN true\n") };
  const file = { path: "files/a/run.sh", bytes: bytes("echo hi\n") };
  const withFile = containerChecksum([definition, epilogue, file]);
  expect(withFile).toBe(containerChecksum([file, definition, epilogue]));
  expect(withFile).not.toBe(containerChecksum([definition, epilogue]));
  expect(withFile).not.toBe(
    containerChecksum([definition, epilogue, { ...file, bytes: bytes("echo ho\n") }]),
  );
  expect(withFile).not.toBe(containerChecksum([definition, epilogue, { ...file, path: "files/a/run2.sh" }]));
});

test("tree checksum is the documented sha256 over '<path>\\0<sha256>\\n' lines in code-unit order", () => {
  const entries = [
    { path: "b", bytes: bytes("2") },
    { path: "a/x", bytes: bytes("1") },
    { path: "B", bytes: bytes("3") },
  ];
  const expected = sha256Hex(`B\0${sha256Hex("3")}\na/x\0${sha256Hex("1")}\nb\0${sha256Hex("2")}\n`);
  expect(treeChecksum(entries)).toBe(expected);
  expect(() => treeChecksum([entries[0]!, entries[0]!])).toThrow(/duplicate path b/);
  expect(() => containerChecksum([])).toThrow(/no input files/);
});
