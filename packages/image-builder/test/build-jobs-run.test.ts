import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { GitlabScriptJob } from "@spacktainers/core";
import { JOB_NAMES } from "@spacktainers/core";
import { type OciRegistry, startOciRegistry, useTempDir } from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildImageJobs } from "../src/build-image-jobs.js";
import { createRegistryClient } from "../src/registry-client.js";

const run = promisify(execFile);
let registry: OciRegistry;

beforeAll(async () => {
  registry = await startOciRegistry();
});
afterAll(async () => registry?.stop());

/** Runs a job's script lines like a runner would (sh -e, job variables + dotenv variables in env). */
async function runJob(job: GitlabScriptJob, cwd: string, env: Record<string, string>): Promise<void> {
  await run("sh", ["-e", "-c", job.script.join("\n")], {
    cwd,
    env: { ...env, ...(job.variables ?? {}) },
    maxBuffer: 16 * 1024 * 1024,
  });
}

test("the generated build jobs push each arch by digest; the manifest job then publishes the index", async () => {
  const dir = await useTempDir({
    "images/tiny/Dockerfile": "FROM scratch\nARG GREETING\nCOPY hello /hello\n",
    "images/tiny/hello": "hello\n",
  });
  const storage = join(dir, ".storage");
  await writeFile(
    join(dir, "storage.conf"),
    `[storage]\ndriver = "vfs"\ngraphroot = "${storage}/graph"\nrunroot = "${storage}/run"\n`,
  );
  const repository = `${registry.host}/spacktainers/tiny`;
  const jobs = buildImageJobs({
    name: "tiny",
    repository,
    tag: "abcdef012345",
    alsoLatest: true,
    arches: [
      { arch: "amd64", tags: ["x"], variables: {} },
      { arch: "arm64", tags: ["y"], variables: {} },
    ],
    context: "images/tiny",
    dockerfile: "images/tiny/Dockerfile",
    buildArgs: { GREETING: "hi there" },
    labels: { "ch.epfl.bbpgitlab.container_checksum": "c0ffee" },
    stage: "base",
    tlsVerify: false,
  });
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    REGISTRY_AUTH_FILE: join(dir, "auth.json"),
    CI_REGISTRY: registry.host,
    CI_REGISTRY_USER: "ci-user",
    CI_REGISTRY_PASSWORD: "not-checked-by-this-registry",
  };
  const client = createRegistryClient({ plainHttp: [registry.host] });
  const dotenv: Record<string, string> = {};
  for (const arch of ["amd64", "arm64"]) {
    await runJob(jobs[JOB_NAMES.buildImage("tiny", arch)]!, dir, env);
    const [name, value] = (await readFile(join(dir, `tiny-${arch}.env`), "utf8")).trim().split("=");
    dotenv[name!] = value!;
  }
  // Before the manifest job, the public tag does not exist: half-built images are never public.
  expect(await client.inspectImage({ reference: `${repository}:abcdef012345`, arch: "amd64" })).toMatchObject(
    {
      exists: false,
    },
  );
  await runJob(jobs[JOB_NAMES.publishImage("tiny", "abcdef012345")]!, dir, {
    ...env,
    ...dotenv,
    CI_JOB_ID: "41",
  });
  // A shell runner keeps buildah's storage: the next pipeline's manifest job (same storage, same
  // job id even) publishes again instead of failing on a name left behind.
  await runJob(jobs[JOB_NAMES.publishImage("tiny", "abcdef012345")]!, dir, {
    ...env,
    ...dotenv,
    CI_JOB_ID: "41",
  });
  for (const tag of ["abcdef012345", "latest"]) {
    const inspected = [];
    for (const arch of ["amd64", "arm64"]) {
      const found = await client.inspectImage({ reference: `${repository}:${tag}`, arch });
      inspected.push(
        found.exists ? { arch: found.architecture, digest: found.digest, labels: found.labels } : found,
      );
    }
    // buildah adds its own version label.
    const labels = {
      "ch.epfl.bbpgitlab.container_checksum": "c0ffee",
      "io.buildah.version": expect.any(String),
    };
    expect(inspected).toEqual([
      { arch: "amd64", digest: dotenv.DIGEST_TINY_AMD64, labels },
      { arch: "arm64", digest: dotenv.DIGEST_TINY_ARM64, labels },
    ]);
  }
  await client.close();
}, 240_000);
