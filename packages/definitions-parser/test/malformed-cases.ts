import type { FileTree } from "@spacktainers/test-utils";

/** A valid site config enabling amd64 only. */
export const SITE_CONFIG = `architectures:
  amd64:
    runner_tags: [amd64]
    spack_requirement: "%gcc@12 os=ubuntu22.04 target=x86_64_v3"
    cache_bucket:
      name: cache-amd64
      credentials: { access_key_var: CACHE_ACCESS_KEY_ID, secret_key_var: CACHE_SECRET_ACCESS_KEY }
    containers_bucket:
      name: sif-amd64
      credentials: { access_key_var: SIF_ACCESS_KEY_ID, secret_key_var: SIF_SECRET_ACCESS_KEY }
spack:
  repository: https://github.com/spack/spack.git
  branch: v1.0.2
  template:
    spack:
      specs: []
`;

/** A repository with one valid container and one copyable file; each case adds or removes files. */
export const BASE_TREE: FileTree = {
  "container_definitions/spacktainers.yaml": SITE_CONFIG,
  "container_definitions/amd64/ok.yaml": "spack:\n  specs:\n    - zlib\n",
  "files/app/run.sh": "#!/bin/sh\n",
  "secret.txt": "outside files/\n",
};

const CONFIG = "container_definitions/spacktainers.yaml";
const D = "container_definitions/amd64";

/** `null` removes a file of the base tree. */
export type MalformedCase = { name: string; tree: Record<string, FileTree[string] | null> };

const withFiles = (...entries: string[]) =>
  `spack:\n  specs: [zlib]\nspacktainer:\n  files:\n${entries.map((e) => `    - ${JSON.stringify(e)}\n`).join("")}`;

export const MALFORMED_CASES: MalformedCase[] = [
  { name: "YAML syntax error", tree: { [`${D}/x.yaml`]: "spack:\n  specs: [zlib\n" } },
  { name: "YAML duplicate key", tree: { [`${D}/x.yaml`]: "spack:\n  specs: [zlib]\n  specs: [bzip2]\n" } },
  { name: "specs is a string", tree: { [`${D}/x.yaml`]: "spack:\n  specs: zlib\n" } },
  { name: "spack is a list", tree: { [`${D}/x.yaml`]: "spack:\n  - zlib\n" } },
  {
    name: "unknown top-level key",
    tree: { [`${D}/x.yaml`]: "spack:\n  specs: [zlib]\nspacktainers:\n  files: []\n" },
  },
  { name: "unknown spack key", tree: { [`${D}/x.yaml`]: "spack:\n  specs: [zlib]\n  pakages: {}\n" } },
  { name: "empty specs", tree: { [`${D}/x.yaml`]: "spack:\n  specs: []\n" } },
  { name: "missing specs", tree: { [`${D}/x.yaml`]: "spack:\n  packages: {}\n" } },
  { name: "empty file", tree: { [`${D}/x.yaml`]: "" } },
  { name: "empty spec string", tree: { [`${D}/x.yaml`]: 'spack:\n  specs: [""]\n' } },
  { name: "spec is a number", tree: { [`${D}/x.yaml`]: "spack:\n  specs: [42]\n" } },
  { name: "first spec starts with a variant", tree: { [`${D}/x.yaml`]: "spack:\n  specs:\n    - +mpi\n" } },
  {
    name: "second spec names two packages",
    tree: { [`${D}/x.yaml`]: "spack:\n  specs:\n    - zlib\n    - hdf5 mpich\n" },
  },
  {
    name: "unquoted spec with ': ' read as a mapping",
    tree: { [`${D}/x.yaml`]: "spack:\n  specs:\n    - gmsh@4: +mpi\n" },
  },
  { name: "bad container name", tree: { [`${D}/My_Container.yaml`]: "spack:\n  specs: [zlib]\n" } },
  { name: "container name with __", tree: { [`${D}/my__tool.yaml`]: "spack:\n  specs: [zlib]\n" } },
  {
    name: "same name as file and folder",
    tree: {
      [`${D}/x.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/x/spack.yaml`]: "spack:\n  specs: [zlib]\n",
    },
  },
  {
    name: "same name as file and .def",
    tree: {
      [`${D}/x.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/x.def`]: "Bootstrap: docker\nFrom: ubuntu\n",
    },
  },
  { name: "folder without spack.yaml", tree: { [`${D}/x/Dockerfile.epilogue`]: "RUN true\n" } },
  {
    name: "spacktainer key inside a folder's spack.yaml",
    tree: { [`${D}/x/spack.yaml`]: "spack:\n  specs: [zlib]\nspacktainer:\n  files: []\n" },
  },
  {
    name: "unknown key in spacktainer.yaml",
    tree: {
      [`${D}/x/spack.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/x/spacktainer.yaml`]: "file:\n  - a:/b\n",
    },
  },
  { name: "files entry with ..", tree: { [`${D}/x.yaml`]: withFiles("files/../secret.txt:/opt/secret") } },
  {
    name: "files entry with absolute source",
    tree: { [`${D}/x.yaml`]: withFiles("/etc/passwd:/etc/passwd") },
  },
  {
    name: "files entry with missing source",
    tree: { [`${D}/x.yaml`]: withFiles("files/app/missing.sh:/opt/m.sh") },
  },
  { name: "files entry outside files/", tree: { [`${D}/x.yaml`]: withFiles("secret.txt:/opt/secret") } },
  {
    name: "files entry through an escaping symlink",
    tree: {
      "files/app/link": { symlink: "../../secret.txt" },
      [`${D}/x.yaml`]: withFiles("files/app/link:/opt/link"),
    },
  },
  {
    name: "files entry with relative target",
    tree: { [`${D}/x.yaml`]: withFiles("files/app/run.sh:opt/run.sh") },
  },
  { name: "files entry without colon", tree: { [`${D}/x.yaml`]: withFiles("files/app/run.sh") } },
  {
    name: "files entries in a folder's spacktainer.yaml",
    tree: {
      [`${D}/x/spack.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/x/spacktainer.yaml`]: "files:\n  - files/app/run.sh:/opt/run.sh\n  - files/nope:/opt/nope\n",
    },
  },
  { name: ".def without From:", tree: { [`${D}/x.def`]: "Bootstrap: docker\n\n%runscript\n  echo hi\n" } },
  {
    name: ".def with another bootstrap",
    tree: { [`${D}/x.def`]: "Bootstrap: library\nFrom: ubuntu:22.04\n" },
  },
  { name: ".def with a bad image", tree: { [`${D}/x.def`]: "Bootstrap: docker\nFrom: Ubuntu 22.04\n" } },
  { name: "definition with .yml extension", tree: { [`${D}/x.yml`]: "spack:\n  specs: [zlib]\n" } },
  { name: "site config missing", tree: { [CONFIG]: null } },
  { name: "site config YAML error", tree: { [CONFIG]: "architectures: [\n" } },
  {
    name: "site config missing an architecture's fields",
    tree: {
      [CONFIG]: SITE_CONFIG.replace(/ {4}cache_bucket:\n.*\n.*\n/, "").replace(
        "    runner_tags: [amd64]\n",
        "",
      ),
    },
  },
  {
    name: "site config with a wrong type",
    tree: { [CONFIG]: SITE_CONFIG.replace("runner_tags: [amd64]", "runner_tags: amd64") },
  },
  { name: "no container_definitions folder", tree: { [CONFIG]: null, [`${D}/ok.yaml`]: null } },
  {
    name: "architecture folder with no configured name close to it",
    tree: { "container_definitions/riscv64/x.yaml": "spack:\n  specs: [zlib]\n" },
  },
  {
    name: "architecture folder that is a symlink loop",
    tree: { "container_definitions/arm64": { symlink: "arm64" } },
  },
  {
    name: "Dockerfile.epilogue that is a folder",
    tree: {
      [`${D}/x/spack.yaml`]: "spack:\n  specs: [zlib]\n",
      [`${D}/x/Dockerfile.epilogue/RUN`]: "true\n",
    },
  },
  {
    name: "files entry whose folder holds a symlink to its parent",
    tree: { [`${D}/x.yaml`]: withFiles("files/app:/opt/app"), "files/app/sub/up": { symlink: ".." } },
  },
];
