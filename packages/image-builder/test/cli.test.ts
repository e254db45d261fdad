import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { baseImageTag, treeChecksum } from "@spacktainers/core";
import { readChecksumEntries } from "@spacktainers/core/node";
import {
  type OciRegistry,
  pushTestImage,
  REPO_ROOT,
  runBin,
  type S3Server,
  startHttpProxy,
  startOciRegistry,
  startS3Server,
  useTempDir,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const PKG = "image-builder";
let registry: OciRegistry;
let s3: S3Server;

beforeAll(async () => {
  [registry, s3] = await Promise.all([startOciRegistry(), startS3Server({ buckets: ["sifs"] })]);
}, 120_000);
afterAll(async () => {
  await Promise.all([registry?.stop(), s3?.stop()]);
});

const s3Env = () => ({ SIF_KEY_ID: s3.accessKeyId, SIF_SECRET: s3.secretAccessKey });
const s3Flags = () => [
  "--endpoint",
  s3.endpoint,
  "--access-key-var",
  "SIF_KEY_ID",
  "--secret-key-var",
  "SIF_SECRET",
];

describe("spacktainers-image", () => {
  test("base-tag: the tree checksum of each images/ folder of this repository", async () => {
    const result = await runBin(PKG, ["base-tag", "--json", "--root", REPO_ROOT], { cleanEnv: true });
    const expected = [];
    for (const name of ["builder", "runtime", "singularitah"]) {
      const checksum = treeChecksum(await readChecksumEntries(join(REPO_ROOT, "images", name)));
      expected.push({ name, checksum, tag: baseImageTag(checksum) });
    }
    expect({ code: result.code, out: JSON.parse(result.stdout) }).toEqual({ code: 0, out: expected });
    const one = await runBin(PKG, ["base-tag", "--name", "runtime", "--root", REPO_ROOT], { cleanEnv: true });
    expect(one).toEqual({ code: 0, stdout: `${expected[1]!.tag}\n`, stderr: "" });
  });

  test("upload-sif: multipart with metadata; the secret never printed", async () => {
    const dir = await useTempDir();
    const sif = join(dir, "big.sif");
    await writeFile(sif, randomBytes(11 * 1024 * 1024));
    const result = await runBin(
      PKG,
      [
        "upload-sif",
        "--json",
        "--file",
        sif,
        "--bucket",
        "sifs",
        "--key",
        "containers/big__1.0.sif",
        "--metadata",
        "container-checksum=abc",
        "--metadata",
        "spack-lock-sha256=def",
        "--part-size-mib",
        "5",
        ...s3Flags(),
      ],
      { cleanEnv: true, env: s3Env() },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      bucket: "sifs",
      key: "containers/big__1.0.sif",
      size: 11 * 1024 * 1024,
      etag: expect.any(String),
      metadata: { "container-checksum": "abc", "spack-lock-sha256": "def" },
    });
    // Three parts of at most 5 MiB (multipart): one progress line per part; parts upload in
    // parallel, so only the count and the final line are stable.
    const progress = result.stderr.trimEnd().split("\n");
    expect([progress.length, progress.at(-1)]).toEqual([3, "spacktainers-image: uploaded 100%"]);
    const client = s3.client();
    const head = await client.send(new HeadObjectCommand({ Bucket: "sifs", Key: "containers/big__1.0.sif" }));
    client.destroy();
    expect({ size: head.ContentLength, metadata: head.Metadata }).toEqual({
      size: 11 * 1024 * 1024,
      metadata: { "container-checksum": "abc", "spack-lock-sha256": "def" },
    });

    const back = join(dir, "site/big.sif");
    const download = await runBin(
      PKG,
      ["download-sif", "--bucket", "sifs", "--key", "containers/big__1.0.sif", "--file", back, ...s3Flags()],
      { cleanEnv: true, env: s3Env() },
    );
    expect(download.code).toBe(0);
    expect((await readFile(back)).equals(await readFile(sif))).toBe(true);
  }, 60_000);

  test("upload-sif goes through HTTP_PROXY (a job of a proxy: true arch), unless NO_PROXY lists S3", async () => {
    const proxy = await startHttpProxy();
    try {
      const dir = await useTempDir({ "small.sif": "sif bytes" });
      const upload = (env: Record<string, string>, key: string) =>
        runBin(
          PKG,
          ["upload-sif", "--file", join(dir, "small.sif"), "--bucket", "sifs", "--key", key, ...s3Flags()],
          { cleanEnv: true, env: { ...s3Env(), ...env } },
        );
      const via = await upload({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }, "containers/via-proxy.sif");
      expect(via.code).toBe(0);
      const host = new URL(s3.endpoint).host;
      expect(proxy.requests.length).toBeGreaterThan(0);
      expect(proxy.requests.every((line) => line === `CONNECT ${host}` || line.includes(host))).toBe(true);
      const seen = proxy.requests.length;
      const direct = await upload(
        { HTTP_PROXY: proxy.url, NO_PROXY: new URL(s3.endpoint).hostname },
        "containers/direct.sif",
      );
      expect([direct.code, proxy.requests.length]).toEqual([0, seen]);
      const client = s3.client();
      for (const key of ["containers/via-proxy.sif", "containers/direct.sif"])
        expect((await client.send(new HeadObjectCommand({ Bucket: "sifs", Key: key }))).ContentLength).toBe(
          9,
        );
      client.destroy();
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  test("needs-build for a SIF: build, then skip once uploaded (CI), offline outside CI", async () => {
    const dir = await useTempDir({ "x.sif": "sif" });
    const args = [
      "needs-build",
      "--sif-bucket",
      "sifs",
      "--sif-key",
      "containers/x.sif",
      "--metadata",
      "digest=sha256:1",
      ...s3Flags(),
    ];
    const ci = { ...s3Env(), CI: "true" };
    expect(await runBin(PKG, args, { cleanEnv: true, env: ci })).toEqual({
      code: 0,
      stdout: "build: s3://sifs/containers/x.sif not found\n",
      stderr: "",
    });
    const upload = await runBin(
      PKG,
      [
        "upload-sif",
        "--file",
        join(dir, "x.sif"),
        "--bucket",
        "sifs",
        "--key",
        "containers/x.sif",
        "--metadata",
        "digest=sha256:1",
        ...s3Flags(),
      ],
      { cleanEnv: true, env: s3Env() },
    );
    expect(upload.code).toBe(0);
    expect(await runBin(PKG, [...args, "--json"], { cleanEnv: true, env: ci })).toEqual({
      code: 0,
      stdout: `${JSON.stringify({ action: "skip", reason: "s3://sifs/containers/x.sif is up to date" }, null, 2)}\n`,
      stderr: "",
    });
    expect(await runBin(PKG, args, { cleanEnv: true, env: s3Env() })).toEqual({
      code: 0,
      stdout: "build: not checked (offline)\n",
      stderr: "",
    });
  }, 60_000);

  test("needs-build and inspect against the registry", async () => {
    const pushed = await pushTestImage({
      registry: registry.host,
      repository: "spacktainers/runtime",
      tag: "aaaabbbbcccc",
      labels: { "ch.epfl.bbpgitlab.container_checksum": "123" },
    });
    const common = ["--plain-http", registry.host];
    const skip = await runBin(
      PKG,
      [
        "needs-build",
        "--image",
        pushed.reference,
        "--label",
        "ch.epfl.bbpgitlab.container_checksum=123",
        ...common,
      ],
      { cleanEnv: true, env: { CI: "true" } },
    );
    expect(skip).toEqual({
      code: 0,
      stdout: `skip: ${pushed.reference} is up to date (amd64)\n`,
      stderr: "",
    });
    const build = await runBin(
      PKG,
      ["needs-build", "--image", pushed.reference, "--arch", "arm64", ...common],
      { cleanEnv: true, env: { CI: "true" } },
    );
    expect(build).toEqual({
      code: 0,
      stdout: `build: ${pushed.reference} is a linux/amd64 image, not linux/arm64\n`,
      stderr: "",
    });
    const proxy = await startHttpProxy();
    let inspect: Awaited<ReturnType<typeof runBin>>;
    try {
      // As in a job of a proxy: true arch: the registry is reached through HTTP_PROXY.
      inspect = await runBin(PKG, ["inspect", pushed.reference, "--json", ...common], {
        cleanEnv: true,
        env: { HTTP_PROXY: proxy.url },
      });
      expect(proxy.requests).toContain(`CONNECT ${registry.host}`);
    } finally {
      await proxy.stop();
    }
    expect({ code: inspect.code, out: JSON.parse(inspect.stdout) }).toEqual({
      code: 0,
      out: {
        exists: true,
        reference: pushed.reference,
        digest: pushed.digest,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        architecture: "amd64",
        os: "linux",
        labels: { "ch.epfl.bbpgitlab.container_checksum": "123" },
        created: "2000-01-01T00:00:00Z",
      },
    });
  }, 60_000);

  test("dockerfile: written from the environment dir, epilogue verbatim; bad input → every problem, exit 2", async () => {
    const root = await useTempDir({
      "envs/amd64/brayns/spack.yaml":
        "spack:\n  specs: [brayns]\n  config:\n    install_tree:\n      root: /opt/software\n",
      "envs/amd64/brayns/spack.lock": "{}\n",
      "files/brayns/run.sh": "echo\n",
      "container_definitions/amd64/brayns/Dockerfile.epilogue": "# keep me\nRUN true\n",
    });
    const dockerfile = (environmentDir: string, ...extra: string[]) =>
      runBin(
        PKG,
        [
          "dockerfile",
          "--root",
          root,
          "--name",
          "brayns",
          "--arch",
          "amd64",
          "--environment-dir",
          environmentDir,
          ...extra,
        ],
        { cleanEnv: true },
      );
    const ok = await dockerfile(
      "envs/amd64/brayns",
      "--copy",
      "files/brayns/run.sh:/opt/run.sh",
      "--epilogue",
      join(root, "container_definitions/amd64/brayns/Dockerfile.epilogue"),
      "--output",
      join(root, "out/Dockerfile"),
    );
    expect(ok).toEqual({
      code: 0,
      stdout: "",
      stderr: `spacktainers-image: wrote ${join(root, "out/Dockerfile")}\n`,
    });
    const text = await readFile(join(root, "out/Dockerfile"), "utf8");
    expect(text.split("\n").filter((line) => /software|run\.sh|keep me|RUN true/.test(line))).toEqual([
      'COPY --from=builder ["/opt/software", "/opt/software"]',
      'COPY ["files/brayns/run.sh", "/opt/run.sh"]',
      "# keep me",
      "RUN true",
    ]);
    expect(text).toContain("strip --strip-unneeded");
    const kept = await dockerfile(
      "envs/amd64/brayns",
      "--no-strip",
      "--output",
      join(root, "out/Dockerfile.kept"),
    );
    expect(kept.code).toBe(0);
    const keptText = await readFile(join(root, "out/Dockerfile.kept"), "utf8");
    expect(keptText).toContain('COPY --from=builder ["/opt/software", "/opt/software"]');
    expect(keptText).not.toContain("strip --strip-unneeded");
    const bad = await dockerfile(
      "envs/nope",
      "--copy",
      "files/missing:/x",
      "--copy",
      "relative",
      "--output",
      join(root, "out/Dockerfile2"),
    );
    expect(bad).toEqual({
      code: 2,
      stdout: "",
      stderr: [
        "spacktainers-image: error: 3 problems found:",
        `envs/nope/spack.yaml: cannot read envs/nope/spack.yaml under ${root}`,
        `--copy: "files/missing:/x": files/missing not found under ${root}`,
        '--copy: "relative": want SRC:/absolute/target',
        "",
      ].join("\n"),
    });
  });

  test("usage errors exit 2, every bad or missing flag named at once", async () => {
    const upload = ["upload-sif", "--bucket", "b", "--metadata", "Bad Key=1", "--part-size-mib", "4"];
    expect(await runBin(PKG, upload, { cleanEnv: true })).toEqual({
      code: 2,
      stdout: "",
      stderr: `${[
        "spacktainers-image: error: --file is required",
        "--key is required",
        '--metadata: takes KEY=VALUE with a key of a-z 0-9 -, got "Bad Key=1"',
        '--part-size-mib: takes a whole number ≥ 5, got "4"',
      ].join("; ")}\n`,
    });
    const needsBuild = ["needs-build", "--sif-bucket", "b", "--base", "bogus", "--label", "nolabel"];
    expect(await runBin(PKG, needsBuild, { cleanEnv: true })).toEqual({
      code: 2,
      stdout: "",
      stderr: `${[
        'spacktainers-image: error: --label: takes KEY=VALUE, got "nolabel"',
        '--base: takes one of builder, runtime, singularitah, got "bogus"',
        "--sif-bucket needs --sif-key",
      ].join("; ")}\n`,
    });
  });
});
