import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { detectPythonJsonStyle, formatPythonJson, PYTHON_MANIFEST } from "./format-python-json.js";
import { removeFromDatabase, type SpackDatabase } from "./spack-database.js";

const caches = fileURLToPath(new URL("../__fixtures__/caches/", import.meta.url));
const read = (...parts: string[]) => readFileSync(join(caches, ...parts), "utf8");

/** Every database and manifest Spack wrote in the fixtures. */
const SPACK_FILES = [
  "v2-0.19-signed/files/build_cache/index.json",
  "v2-0.19-unsigned/files/build_cache/index.json",
  "v2-0.23-signed/files/build_cache/index.json",
  "v3-1.0-unsigned/files/blobs/sha256/a0/a0f708e7a66658eec911464ac669e2fd8768e5327920892acabd324827074b96",
  "v3-1.0-signed/files/blobs/sha256/56/56ef087806a6f6adf92cab5ab332543f04bb2fa246cb7366be85111ede81ab90",
  "v3-1.0-unsigned/files/v3/manifests/index/index.manifest.json",
  "v3-1.0-unsigned/files/v3/manifests/spec/zlib/zlib-1.2.13-mgowe23us2ms6sm5pk343rbrny3quz7g.spec.manifest.json",
  "v3-1.0-signed/files/v3/manifests/key/keys.manifest.json",
];

describe("formatPythonJson", () => {
  it.each(SPACK_FILES)("reproduces %s byte for byte", (file) => {
    const text = read(file);
    expect(formatPythonJson(JSON.parse(text), detectPythonJsonStyle(text))).toBe(text);
  });

  it("writes a v3 manifest as Spack does (indent=0, compact separators)", () => {
    expect(formatPythonJson({ version: 3, data: [{ a: 1, b: "x" }] }, PYTHON_MANIFEST)).toBe(
      '{\n"version":3,\n"data":[\n{\n"a":1,\n"b":"x"\n}\n]\n}',
    );
  });

  it("escapes non-ASCII like ensure_ascii and keeps empty containers inline", () => {
    expect(
      formatPythonJson({ é: ["ü", "\u007f", {}, []] }, { indent: 2, itemSeparator: ",", keySeparator: ": " }),
    ).toBe('{\n  "\\u00e9": [\n    "\\u00fc",\n    "\\u007f",\n    {},\n    []\n  ]\n}');
  });
});

describe("removeFromDatabase", () => {
  it.each(SPACK_FILES.slice(0, 5))("recounts ref_count exactly as Spack did in %s", (file) => {
    const database = JSON.parse(read(file)) as SpackDatabase;
    expect(removeFromDatabase(database, new Set())).toEqual(database);
  });

  it("drops a removed spec, recounts its dependencies, and drops dependency-only nodes nobody needs", () => {
    // 0.23.1: fixture-app -> fixture-hello -> gcc-runtime -> glibc (external); zlib -> gmake (external).
    const database = JSON.parse(read("v2-0.23-signed/files/build_cache/index.json")) as SpackDatabase;
    const next = removeFromDatabase(
      database,
      new Set(["23njwcmmq3rzan6pdlhy4o32izhlht3c", "z2lkunv6qnnywqxr6c4ej6uvakxofj7i"]),
    );
    expect(
      Object.entries(next.database.installs).map(([hash, record]) => [
        record.spec.name,
        hash,
        record.ref_count,
        record.in_buildcache,
      ]),
    ).toEqual([
      ["glibc", "jlxwffmgwmoc3zddjme3pzekumwc6b3w", 2, false],
      ["gcc-runtime", "tchodvtaqxzufupz6ljb42ud3pbs6vew", 1, true],
      ["fixture-hello", "myp4ublvdmnvsd2er7vcnb4hlr4qbol5", 0, true],
    ]);
  });

  it("keeps a removed spec that a remaining spec still needs, as Spack re-adds it from the dependent's spec file", () => {
    const database = JSON.parse(read("v2-0.23-signed/files/build_cache/index.json")) as SpackDatabase;
    const next = removeFromDatabase(database, new Set(["myp4ublvdmnvsd2er7vcnb4hlr4qbol5"]));
    expect(next.database.installs.myp4ublvdmnvsd2er7vcnb4hlr4qbol5).toMatchObject({
      ref_count: 1,
      in_buildcache: false,
    });
  });
});
