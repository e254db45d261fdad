#!/usr/bin/env node
// Run before `pnpm test` (the root `pretest` script): the integration tests start real services
// and tools, so a missing Debian package would otherwise surface as a dozen unrelated failures
// (`spawn umoci ENOENT`, a gitlab-ci-local run failing for lack of rsync). Checks only; it never
// installs (that needs root): `.ci/run` installs the same list on a fresh machine.
import { accessSync, closeSync, constants, openSync, readSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Debian package → the file a test runs. Keep in step with APT_PACKAGES in .ci/run. */
const REQUIREMENTS = [
  { pkg: "umoci", file: "umoci", why: "builds the OCI images the registry tests push" },
  { pkg: "buildah", file: "buildah", why: "builds the images of the build-job tests" },
  { pkg: "skopeo", file: "skopeo", why: "copies test images into the registry" },
  { pkg: "docker-registry", file: "/usr/bin/docker-registry", why: "the OCI registry on loopback" },
  {
    pkg: "busybox-static",
    file: "/usr/bin/busybox",
    why: "the only binary of the scratch test images",
    static: true,
  },
  { pkg: "rsync", file: "rsync", why: "gitlab-ci-local copies the repository with it" },
  { pkg: "git", file: "git", why: "gitlab-ci-local needs a git repository" },
  {
    pkg: "binutils",
    file: "strip",
    why: "the strip test puts strip in its builder image and reads the result with readelf",
  },
  { pkg: "libc-bin", file: "/usr/sbin/ldconfig", why: "the strip test's runtime image runs ldconfig" },
];

function findExecutable(file) {
  const candidates = file.includes("/")
    ? [file]
    : (process.env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** True when an ELF file has no program interpreter (PT_INTERP), i.e. is statically linked. */
function isStaticElf(path) {
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.toString("latin1", 1, 4) !== "ELF" || header[4] !== 2) return false; // 64-bit only
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

const missing = [];
for (const requirement of REQUIREMENTS) {
  const found = findExecutable(requirement.file);
  if (!found) missing.push({ ...requirement, problem: `${requirement.file} not found` });
  else if (requirement.static && !isStaticElf(found))
    missing.push({ ...requirement, problem: `${found} is not statically linked` });
}
if (missing.length > 0) {
  const lines = [
    `pnpm test: ${missing.length} system package(s) missing; no test was run:`,
    ...missing.map((m) => `  - ${m.pkg}: ${m.problem} (${m.why})`),
    "Install them (Debian 12) and run the command again:",
    `  sudo apt-get install -y ${missing.map((m) => m.pkg).join(" ")}`,
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exitCode = 1;
}
