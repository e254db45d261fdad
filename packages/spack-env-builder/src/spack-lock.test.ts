import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputInvalidError } from "@spacktainers/core";
import { describe, expect, it } from "vitest";
import { parseSpackLock } from "./index.js";

const locks = join(import.meta.dirname, "../__fixtures__/locks");
const read = (name: string) => readFileSync(join(locks, name), "utf8");

function problemsOf(action: () => unknown) {
  try {
    action();
  } catch (error) {
    if (InputInvalidError.isInstance(error)) return error.problems;
    throw error;
  }
  throw new Error("expected an InputInvalidError");
}

describe("parseSpackLock on real lockfiles", () => {
  it("reads the version, roots and root versions of every fixture", () => {
    const summary = Object.fromEntries(
      readdirSync(locks)
        .sort()
        .map((name) => {
          const lock = parseSpackLock({ text: read(name), file: name });
          return [
            name,
            {
              lockfileVersion: lock.lockfileVersion,
              spack: lock.spack?.version,
              specs: Object.keys(lock.specs).length,
              roots: lock.roots.map((root) => `${root.name}@${lock.specs[root.hash]!.version}`),
            },
          ];
        }),
    );
    expect(summary).toMatchInlineSnapshot(`
      {
        "0.19.0-ci-generate-empty-mirror.lock": {
          "lockfileVersion": 4,
          "roots": [
            "zlib@1.2.13",
            "bzip2@1.0.8",
            "fixture-hello@1.0",
            "fixture-app@2.0",
          ],
          "spack": undefined,
          "specs": 5,
        },
        "0.19.0-env-aarch64-neoverse_v1.lock": {
          "lockfileVersion": 4,
          "roots": [
            "zlib@1.2.13",
            "bzip2@1.0.8",
            "xz@5.2.7",
          ],
          "spack": undefined,
          "specs": 6,
        },
        "0.19.0-env-hdf5-x86_64.lock": {
          "lockfileVersion": 4,
          "roots": [
            "hdf5@1.12.2",
            "cmake@3.24.3",
          ],
          "spack": undefined,
          "specs": 23,
        },
        "0.19.0-env-small-x86_64.lock": {
          "lockfileVersion": 4,
          "roots": [
            "zlib@1.2.13",
            "bzip2@1.0.8",
            "xz@5.2.7",
            "libiconv@1.16",
            "fixture-app@2.0",
          ],
          "spack": undefined,
          "specs": 7,
        },
        "0.23.1-ci-generate-empty-mirror.lock": {
          "lockfileVersion": 5,
          "roots": [
            "fixture-app@2.0",
            "zlib@1.2.13",
            "fixture-hello@1.0",
          ],
          "spack": "0.23.1",
          "specs": 6,
        },
        "0.23.1-env-small-x86_64.lock": {
          "lockfileVersion": 5,
          "roots": [
            "libiconv@1.17",
            "xz@5.4.6",
            "zlib@1.2.13",
            "fixture-app@2.0",
            "bzip2@1.0.8",
          ],
          "spack": "0.23.1",
          "specs": 11,
        },
        "1.0.2-ci-generate-empty-mirror.lock": {
          "lockfileVersion": 6,
          "roots": [
            "fixture-app@2.0",
            "fixture-hello@1.0",
            "zlib@1.2.13",
          ],
          "spack": "1.0.2",
          "specs": 8,
        },
        "1.0.2-env-aarch64-neoverse_v1.lock": {
          "lockfileVersion": 6,
          "roots": [
            "bzip2@1.0.8",
            "zlib@1.3.1",
            "xz@5.6.3",
          ],
          "spack": "1.0.2",
          "specs": 11,
        },
        "1.0.2-env-hdf5-x86_64.lock": {
          "lockfileVersion": 6,
          "roots": [
            "hdf5@1.14.6",
            "cmake@3.31.8",
          ],
          "spack": "1.0.2",
          "specs": 46,
        },
        "1.0.2-env-small-x86_64.lock": {
          "lockfileVersion": 6,
          "roots": [
            "zlib@1.3.1",
            "libiconv@1.18",
            "fixture-app@2.0",
            "xz@5.6.3",
            "bzip2@1.0.8",
          ],
          "spack": "1.0.2",
          "specs": 12,
        },
        "spackitor-no-roots.lock": {
          "lockfileVersion": undefined,
          "roots": [],
          "spack": undefined,
          "specs": 4,
        },
      }
    `);
  });

  it("reads a v4 spec with its compiler field and typed dependencies", () => {
    const lock = parseSpackLock({ text: read("0.19.0-env-small-x86_64.lock"), file: "v4.lock" });
    const bzip2 = lock.roots.find((root) => root.name === "bzip2")!;
    expect(lock.specs[bzip2.hash]).toMatchInlineSnapshot(`
      {
        "arch": {
          "os": "debian12",
          "platform": "linux",
          "target": "x86_64",
        },
        "compiler": {
          "name": "gcc",
          "version": "12.2.0",
        },
        "dependencies": [
          {
            "deptypes": [
              "build",
            ],
            "hash": "2xjfxj5o5j6rnwkelkzwsmkp4iwnasr3",
            "name": "diffutils",
            "virtuals": [],
          },
        ],
        "external": false,
        "hash": "lha5q223mrkkuzwa7kgascwjbgjshguh",
        "name": "bzip2",
        "namespace": "builtin",
        "version": "1.0.8",
      }
    `);
  });

  it("reads a v6 spec: the compiler is the node providing c, as in `%c=gcc@12.2.0`", () => {
    const lock = parseSpackLock({ text: read("1.0.2-env-small-x86_64.lock"), file: "v6.lock" });
    const zlib = lock.roots.find((root) => root.name === "zlib")!;
    expect(lock.specs[zlib.hash]).toMatchInlineSnapshot(`
      {
        "arch": {
          "os": "debian12",
          "platform": "linux",
          "target": "x86_64",
        },
        "compiler": {
          "name": "gcc",
          "version": "12.2.0",
        },
        "dependencies": [
          {
            "deptypes": [
              "build",
            ],
            "hash": "4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
            "name": "compiler-wrapper",
            "virtuals": [],
          },
          {
            "deptypes": [
              "build",
            ],
            "hash": "az7prruen6mpy6amaj6gqcmie4tst4zb",
            "name": "gcc",
            "virtuals": [
              "c",
              "cxx",
            ],
          },
          {
            "deptypes": [
              "link",
            ],
            "hash": "t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
            "name": "gcc-runtime",
            "virtuals": [],
          },
          {
            "deptypes": [
              "link",
            ],
            "hash": "qggmgd43aeio7nlqwjdua7qykkygiboj",
            "name": "glibc",
            "virtuals": [
              "libc",
            ],
          },
          {
            "deptypes": [
              "build",
            ],
            "hash": "gyitlrnqszjal4fystrr7qpqntvijkqx",
            "name": "gmake",
            "virtuals": [],
          },
        ],
        "external": false,
        "hash": "urgqqorkp4r5f7e45pnzh7vwjyum7lp4",
        "name": "zlib",
        "namespace": "builtin",
        "version": "1.3.1",
      }
    `);
    // A node with no C/C++/Fortran dependency has no compiler in v6.
    const compilerless = Object.values(lock.specs)
      .filter((spec) => !spec.compiler)
      .map((spec) => spec.name)
      .sort();
    expect(compilerless).toMatchInlineSnapshot(`
      [
        "compiler-wrapper",
        "fixture-app",
        "fixture-hello",
        "gcc",
        "gcc-runtime",
        "glibc",
      ]
    `);
  });

  it("reads target objects (aarch64 lock) as the microarchitecture name", () => {
    const lock = parseSpackLock({ text: read("1.0.2-env-aarch64-neoverse_v1.lock"), file: "arm.lock" });
    expect(
      new Set(
        Object.values(lock.specs).map((spec) => `${spec.arch.platform}-${spec.arch.os}-${spec.arch.target}`),
      ),
    ).toMatchInlineSnapshot(`
        Set {
          "linux-ubuntu22.04-neoverse_v1",
          "linux-ubuntu22.04-aarch64",
        }
      `);
  });

  it("accepts the bare spackitor fixture (no _meta, no roots)", () => {
    const lock = parseSpackLock({ text: read("spackitor-no-roots.lock"), file: "spack.lock" });
    expect({
      version: lock.lockfileVersion,
      roots: lock.roots,
      names: Object.values(lock.specs).map((s) => s.name),
    }).toMatchInlineSnapshot(`
        {
          "names": [
            "present_new_enough",
            "absent_new_enough",
            "present_too_old",
            "absent_too_old",
          ],
          "roots": [],
          "version": undefined,
        }
      `);
  });

  it("gives the sha256 of the text as the lock checksum", () => {
    const text = read("1.0.2-env-small-x86_64.lock");
    const lock = parseSpackLock({ text, file: "x" });
    expect(lock.sha256).toBe(
      createHash("sha256")
        .update(readFileSync(join(locks, "1.0.2-env-small-x86_64.lock")))
        .digest("hex"),
    );
  });
});

describe("parseSpackLock on bad input", () => {
  it("locates a JSON syntax error", () => {
    expect(
      problemsOf(() =>
        parseSpackLock({ text: '{\n  "_meta": {\n    "lockfile-version": 5,\n  }\n}', file: "bad.lock" }),
      ),
    ).toMatchInlineSnapshot(`
        [
          {
            "code": "LOCK_NOT_JSON",
            "col": 3,
            "file": "bad.lock",
            "hint": "give the spack.lock written by \`spack concretize\`",
            "line": 4,
            "message": "not a Spack lockfile: the file is not valid JSON (Expected double-quoted property name in JSON at position 44)",
          },
        ]
      `);
  });

  it("locates an unsupported lockfile-version", () => {
    const text = read("0.23.1-env-small-x86_64.lock").replace('"lockfile-version":5', '"lockfile-version":3');
    expect(problemsOf(() => parseSpackLock({ text, file: "old/spack.lock" }))).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_VERSION_UNSUPPORTED",
          "col": 59,
          "file": "old/spack.lock",
          "hint": "concretize the environment again with a supported Spack",
          "line": 1,
          "message": "unsupported lockfile-version 3; supported: 4, 5, 6 (Spack 0.19 to 1.x)",
        },
      ]
    `);
  });

  it("refuses another JSON document", () => {
    expect(
      problemsOf(() =>
        parseSpackLock({
          text: '{"_meta": {"file-type": "spack-database", "lockfile-version": 5}}',
          file: "db.json",
        }),
      ),
    ).toMatchInlineSnapshot(`
        [
          {
            "code": "LOCK_NOT_LOCKFILE",
            "col": 25,
            "file": "db.json",
            "line": 1,
            "message": "not a Spack lockfile: _meta.file-type is "spack-database", expected "spack-lockfile"",
          },
        ]
      `);
    expect(problemsOf(() => parseSpackLock({ text: "[1, 2]", file: "list.json" }))).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_NOT_LOCKFILE",
          "col": 1,
          "file": "list.json",
          "line": 1,
          "message": "not a Spack lockfile: expected a JSON object",
        },
      ]
    `);
  });

  it("lists every broken spec and dangling hash at once", () => {
    const text = JSON.stringify(
      {
        _meta: { "file-type": "spack-lockfile", "lockfile-version": 6 },
        roots: [{ hash: "missing", spec: "zlib" }],
        concrete_specs: {
          aaa: { name: "zlib", arch: { platform: "linux", platform_os: "debian12", target: "x86_64" } },
          bbb: {
            name: "xz",
            version: "5.4",
            arch: { platform: "linux" },
            dependencies: [{ name: "zlib", hash: "zzz", parameters: { deptypes: ["link"] } }],
          },
        },
      },
      null,
      2,
    );
    expect(problemsOf(() => parseSpackLock({ text, file: "broken.lock" }))).toMatchInlineSnapshot(`
      [
        {
          "code": "LOCK_SPEC_INVALID",
          "col": 12,
          "file": "broken.lock",
          "line": 13,
          "message": "concrete_specs.aaa has no version (expected a string)",
        },
        {
          "code": "LOCK_SPEC_INVALID",
          "col": 15,
          "file": "broken.lock",
          "line": 24,
          "message": "concrete_specs.bbb.arch must have platform, platform_os and target",
        },
        {
          "code": "LOCK_HASH_UNKNOWN",
          "col": 15,
          "file": "broken.lock",
          "line": 8,
          "message": "root "zlib" has hash missing, which is not in concrete_specs",
        },
      ]
    `);
  });
});
