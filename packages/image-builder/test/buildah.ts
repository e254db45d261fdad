import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** buildah with its own vfs storage in a temp dir (no daemon, no root-only storage driver). */
export async function createBuildah(): Promise<{
  bud(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }>;
  remove(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), "spacktainers-buildah-"));
  const base = ["--storage-driver", "vfs", "--root", join(root, "storage"), "--runroot", join(root, "run")];
  return {
    bud: (args, cwd) =>
      run("buildah", [...base, "bud", "--isolation", "chroot", ...args], {
        cwd,
        maxBuffer: 16 * 1024 * 1024,
      }),
    async remove() {
      await run("buildah", [...base, "rm", "--all"]).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Copies busybox-static into `dir` (the only binary our scratch test images hold). */
export async function copyBusybox(dir: string): Promise<void> {
  await copyFile("/usr/bin/busybox", join(dir, "busybox"));
}
