import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderContainerDockerfile } from "../src/render-container-dockerfile.js";

/**
 * The generated container Dockerfile, built for real with buildah (chroot isolation, vfs
 * storage): a scratch builder image holding busybox, the machine's `strip` (with the shared
 * libraries it loads) and a stand-in `spack` that installs an executable and a shared library
 * that carry a symbol table; a scratch runtime image holding busybox and `ldconfig`. The image
 * is unpacked with umoci and its files read with readelf and ldconfig.
 */

const run = promisify(execFile);
const INSTALL_TREE = "/opt/software";
let work: string;
let buildah: (...args: string[]) => Promise<string>;

/** Copies an executable and every shared library `ldd` says it loads to the same paths under `root`. */
async function copyWithLibraries(binary: string, root: string, target = binary): Promise<void> {
  await mkdir(dirname(join(root, target)), { recursive: true });
  await copyFile(binary, join(root, target));
  const { stdout } = await run("ldd", [binary]).catch(() => ({ stdout: "" }));
  for (const match of stdout.matchAll(/(\/\S+) \(0x/g)) {
    const library = match[1]!;
    await mkdir(dirname(join(root, library)), { recursive: true });
    await copyFile(library, join(root, library));
  }
}

/** An ELF file with a symbol table (Debian's binaries have none): objcopy adds one symbol. */
async function withSymbols(source: string, target: string): Promise<void> {
  await run("objcopy", ["--add-symbol", "spacktainers_test_symbol=.text:0,global,function", source, target]);
}

async function hasSymbolTable(file: string): Promise<boolean> {
  const { stdout } = await run("readelf", ["-S", "-W", file]);
  return /\s\.symtab\s/.test(stdout);
}

const SPACK = `#!/bin/sh
# Stand-in for Spack in the builder stage: installs a tool and a library into the install tree
# and makes the view Spack would (a symlink to a folder of symlinks).
case "$*" in
  *"env view enable"*)
    mkdir -p /opt/views/._view/abc/bin /opt/views/._view/abc/lib && ln -s /opt/views/._view/abc /opt/views/view ;;
  *install*)
    mkdir -p ${INSTALL_TREE}/tool/bin ${INSTALL_TREE}/tool/lib
    cp /fixtures/tool ${INSTALL_TREE}/tool/bin/tool
    cp /fixtures/libz.so.1 ${INSTALL_TREE}/tool/lib/libz.so.1
    printf '#!/bin/sh\\necho hello\\n' > ${INSTALL_TREE}/tool/bin/hello.sh
    ln -s ${INSTALL_TREE}/tool/bin/tool ${INSTALL_TREE}/tool/bin/hello.sh /opt/views/._view/abc/bin/
    ln -s ${INSTALL_TREE}/tool/lib/libz.so.1 /opt/views/._view/abc/lib/ ;;
  *"env activate --sh"*) echo "export SPACK_ENV=/opt/spack-environment" ;;
esac
`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "spacktainers-strip-"));
  const base = ["--storage-driver", "vfs", "--root", join(work, "storage"), "--runroot", join(work, "run")];
  buildah = async (...args) =>
    (await run("buildah", [...base, ...args], { cwd: work, maxBuffer: 64 * 1024 * 1024 })).stdout;

  const builder = join(work, "builder");
  await mkdir(join(builder, "root/fixtures"), { recursive: true });
  await copyFile("/usr/bin/busybox", join(builder, "busybox"));
  await copyWithLibraries("/usr/bin/strip", join(builder, "root"), "/usr/bin/strip");
  await withSymbols("/usr/bin/busybox", join(builder, "root/fixtures/tool"));
  const libz = (
    await run("sh", ["-c", "ldd /usr/bin/strip | sed -n 's|.*=> \\(/\\S*libz\\.so\\.1\\) .*|\\1|p'"])
  ).stdout.trim();
  await withSymbols(libz, join(builder, "root/fixtures/libz.so.1"));
  await mkdir(join(builder, "root/opt/spack/bin"), { recursive: true });
  await mkdir(join(builder, "root/opt/spack/share/spack"), { recursive: true });
  await writeFile(join(builder, "root/opt/spack/bin/spack"), SPACK);
  await chmod(join(builder, "root/opt/spack/bin/spack"), 0o755);
  await writeFile(
    join(builder, "root/opt/spack/share/spack/setup-env.sh"),
    "export PATH=/opt/spack/bin:$PATH\n",
  );
  await writeFile(
    join(builder, "Dockerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY root/ /\nENV SPACK_ROOT=/opt/spack PATH=/opt/spack/bin:/usr/bin:/bin\n',
  );

  const runtime = join(work, "runtime");
  await mkdir(join(runtime, "root/etc"), { recursive: true });
  await mkdir(join(runtime, "root/sbin"), { recursive: true });
  await copyFile("/usr/bin/busybox", join(runtime, "busybox"));
  await copyFile("/usr/sbin/ldconfig", join(runtime, "root/sbin/ldconfig"));
  await writeFile(join(runtime, "root/etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n");
  await writeFile(
    join(runtime, "Dockerfile"),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY root/ /\nENV PATH=/sbin:/bin\n',
  );
  await buildah("bud", "--isolation", "chroot", "--tag", "localhost/test-builder", builder);
  await buildah("bud", "--isolation", "chroot", "--tag", "localhost/test-runtime", runtime);

  // The build context of a container: the concretized environment the Dockerfile copies.
  await mkdir(join(work, "context/env"), { recursive: true });
  await writeFile(join(work, "context/env/spack.yaml"), "spack:\n  specs: [tool]\n");
  await writeFile(join(work, "context/env/spack.lock"), "{}\n");
}, 300_000);

afterAll(async () => {
  await buildah?.("rm", "--all").catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

/** Builds the container with the generated Dockerfile and unpacks its root filesystem. */
async function buildContainer(strip: boolean): Promise<string> {
  const name = strip ? "stripped" : "unstripped";
  const dockerfile = join(work, `context/Dockerfile.${name}`);
  await writeFile(
    dockerfile,
    renderContainerDockerfile({
      name: "tool",
      arch: "amd64",
      environmentDir: "env",
      installTree: INSTALL_TREE,
      strip,
    }),
  );
  await buildah(
    "bud",
    "--isolation",
    "chroot",
    "--file",
    dockerfile,
    "--build-arg",
    "BUILDER_IMAGE=localhost/test-builder",
    "--build-arg",
    "RUNTIME_IMAGE=localhost/test-runtime",
    "--tag",
    `localhost/${name}`,
    join(work, "context"),
  );
  const layout = join(work, `oci-${name}`);
  await buildah("push", `localhost/${name}`, `oci:${layout}:latest`);
  const rootfs = join(work, `rootfs-${name}`);
  await run("umoci", ["raw", "unpack", "--rootless", "--image", `${layout}:latest`, rootfs]);
  return rootfs;
}

describe("the runtime stage of a generated container Dockerfile", () => {
  test("strips the view's executables and libraries and puts its lib folder in the linker cache", async () => {
    const rootfs = await buildContainer(true);
    const tool = join(rootfs, INSTALL_TREE, "tool/bin/tool");
    const library = join(rootfs, INSTALL_TREE, "tool/lib/libz.so.1");
    expect([await hasSymbolTable(tool), await hasSymbolTable(library)]).toEqual([false, false]);
    // Still the same programs: the dynamic symbols and the script are untouched.
    expect(await readFile(join(rootfs, INSTALL_TREE, "tool/bin/hello.sh"), "utf8")).toBe(
      "#!/bin/sh\necho hello\n",
    );
    const { stdout } = await run("/usr/sbin/ldconfig", ["-p", "-C", join(rootfs, "etc/ld.so.cache")]);
    expect(stdout).toContain("libz.so.1 (libc6,x86-64) => /opt/views/view/lib/libz.so.1");
    expect(await readFile(join(rootfs, "etc/ld.so.conf.d/spacktainers-view.conf"), "utf8")).toBe(
      "/opt/views/view/lib\n/opt/views/view/lib64\n",
    );
  }, 300_000);

  test("strip: false keeps the binaries as installed and the linker cache as it was", async () => {
    const rootfs = await buildContainer(false);
    expect(await hasSymbolTable(join(rootfs, INSTALL_TREE, "tool/bin/tool"))).toBe(true);
    expect(await hasSymbolTable(join(rootfs, INSTALL_TREE, "tool/lib/libz.so.1"))).toBe(true);
    await expect(readFile(join(rootfs, "etc/ld.so.conf.d/spacktainers-view.conf"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  }, 300_000);
});
