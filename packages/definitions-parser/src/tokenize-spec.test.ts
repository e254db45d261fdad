import { describe, expect, it } from "vitest";
import { mainPackageOfSpec, parseSpecPackages, SpecSyntaxError, tokenizeSpec } from "./tokenize-spec.js";

describe("mainPackageOfSpec", () => {
  // Every first spec of the original project's definitions (both fixture commits).
  it.each([
    ["brainbuilder", "brainbuilder"],
    ["brayns", "brayns"],
    ["py-connectome-manipulator", "py-connectome-manipulator"],
    ["py-functionalizer", "py-functionalizer"],
    ["neurodamus-models+coreneuron+caliper model=hippocampus", "neurodamus-models"],
    ["neurodamus-models~coreneuron+ngv+metabolism model=neocortex", "neurodamus-models"],
    ["neuron~caliper", "neuron"],
    ["osu-micro-benchmarks", "osu-micro-benchmarks"],
    ["touchdetector", "touchdetector"],
    ["py-cwl-registry", "py-cwl-registry"],
    ["appositionizer", "appositionizer"],
    ["py-brain-indexer+mpi", "py-brain-indexer"],
    ["parquet-converters", "parquet-converters"],
    ["gmsh@4:", "gmsh"],
    ["neurodamus-models model=neocortex ~plasticity+coreneuron+caliper", "neurodamus-models"],
    ["neurodamus-models model=thalamus +coreneuron+caliper", "neurodamus-models"],
  ])("%s → %s (reference)", (spec, expected) => {
    expect(mainPackageOfSpec(spec)).toBe(expected);
  });

  it.each([
    ["zlib@1.2.13 %gcc@12.2.0", "zlib"],
    ["zlib@1.2.13%gcc@12.2.0 arch=linux-ubuntu22.04-x86_64_v3", "zlib"],
    ["builtin.zlib+pic", "zlib"],
    ["py-numpy@=1.26.4 ^openblas threads=openmp", "py-numpy"],
    ["hdf5@1.14:1.15,1.12 +mpi ^[virtuals=mpi] mpich", "hdf5"],
    ["zlib -shared", "zlib"],
    ["hdf5++mpi ~~fortran", "hdf5"],
    ['hdf5 cflags="-O3 -g"', "hdf5"],
    ["zlib %c=gcc@12.2.0", "zlib"],
    ["zlib@git.v1.3=1.3", "zlib"],
    ["zlib target=x86_64_v3 os=ubuntu22.04 platform=linux", "zlib"],
    ["  zlib  ", "zlib"],
    ["py_underscore2", "py_underscore2"],
  ])("%s → %s", (spec, expected) => {
    expect(mainPackageOfSpec(spec)).toBe(expected);
  });

  it.each([
    ["", "the spec is empty; expected a package name such as zlib@1.3", 1],
    [
      "+mpi",
      'the spec starts with "+mpi" instead of a package name; write the package first, e.g. "<package>+mpi"',
      1,
    ],
    [
      "@1.2",
      'the spec starts with "@1.2" instead of a package name; write the package first, e.g. "<package>@1.2"',
      1,
    ],
    [
      "model=x",
      'the spec starts with "model=x" instead of a package name; write the package first, e.g. "<package> model=x"',
      1,
    ],
    [
      "^zlib",
      'the spec starts with "^" instead of a package name; write the package first, e.g. "<package>@<version> +<variant>"',
      1,
    ],
    [
      "/abcdef",
      'the spec starts with "/abcdef" instead of a package name; write the package first, e.g. "<package>@<version> +<variant>"',
      1,
    ],
    [
      "zlib libpng",
      'a second package name "libpng" follows "zlib"; Spack would read two specs here — list each spec separately, or write ^libpng for a dependency',
      6,
    ],
    ["zlib@", 'unexpected "@" at character 5; expected a version after @ (e.g. @1.2 or @4:)', 5],
    [
      "zlib !x",
      'unexpected "!" at character 6; expected a package name, @version, +variant, ~variant, key=value, ^dependency or %compiler',
      6,
    ],
    ["zlib ^", '"^" at the end of the spec must be followed by a package name', 6],
    ["zlib ^ +mpi", 'expected a package name before "+mpi"', 8],
    ["zlib [virtuals=mpi]", 'unexpected "[virtuals=mpi]"; edge attributes follow ^ or %', 6],
  ])("rejects %j", (spec, message, col) => {
    let error: unknown;
    try {
      mainPackageOfSpec(spec);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SpecSyntaxError);
    expect({ message: (error as SpecSyntaxError).message, col: (error as SpecSyntaxError).col }).toEqual({
      message,
      col,
    });
  });
});

describe("tokenizeSpec", () => {
  it("splits a spec with versions, variants, key=value, compiler and dependency", () => {
    expect(
      tokenizeSpec(
        "builtin.neurodamus-models@1.2: model=neocortex ~plasticity+coreneuron %gcc@12 ^[virtuals=mpi] mpich",
      ).map(({ kind, text, value, namespace, col }) => [kind, text, value, namespace, col]),
    ).toEqual([
      ["name", "builtin.neurodamus-models", "neurodamus-models", "builtin", 1],
      ["version", "@1.2:", "@1.2:", undefined, 26],
      ["key-value", "model=neocortex", "model", undefined, 32],
      ["variant", "~plasticity", "~plasticity", undefined, 48],
      ["variant", "+coreneuron", "+coreneuron", undefined, 59],
      ["compiler", "%", "%", undefined, 71],
      ["name", "gcc", "gcc", undefined, 72],
      ["version", "@12", "@12", undefined, 75],
      ["dependency", "^", "^", undefined, 79],
      ["edge-attributes", "[virtuals=mpi]", "[virtuals=mpi]", undefined, 80],
      ["name", "mpich", "mpich", undefined, 95],
    ]);
  });

  it("names the dependencies and compilers of a spec", () => {
    expect(
      parseSpecPackages("builtin.py-numpy@1.26 %gcc@12 ^openblas ^[virtuals=mpi] mpich %c=clang"),
    ).toEqual({
      root: "py-numpy",
      namespace: "builtin",
      dependencies: ["gcc", "openblas", "mpich", "clang"],
    });
  });
});
