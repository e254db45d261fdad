import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { createArtifactZip, startGitlabApiDouble, useTempDir } from "@spacktainers/test-utils";
import { describe, expect, test } from "vitest";
import {
  estimateZipBytes,
  gatherPipelineArtifacts,
  MAX_INCLUDE_ARCHIVE_BYTES,
} from "../src/gather-pipeline-artifacts.js";
import { FIXTURES } from "./helpers/e2e-repo.js";

const run = promisify(execFile);
const TOKEN = "glpat-gather-artifact-test";

async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
}

describe("estimateZipBytes", () => {
  test("is within 10 % of the archive zip makes of real Spack pipelines and of random data", async () => {
    const root = await useTempDir();
    const spack = await readFile(join(FIXTURES, "spack/1.0.2/ci-generate-empty-mirror/pipeline.yml"));
    const files: Record<string, string | Buffer> = {
      "out/split/amd64/pipeline.yml": spack,
      "out/split/amd64/stage-1.yml": Buffer.concat([spack, spack, spack]),
      "out/containers/amd64/pipeline.yml": spack.subarray(0, 2000),
      "out/split/arm64/random.yml": randomBytes(200_000).toString("base64"),
    };
    await writeFiles(root, files);
    const paths = Object.keys(files);
    await run("zip", ["-q", "-X", join(root, "artifact.zip"), ...paths], { cwd: root });
    const actual = (await stat(join(root, "artifact.zip"))).size;
    const estimate = await estimateZipBytes(root, paths);
    expect(Math.abs(estimate - actual) / actual).toBeLessThan(0.1);
  });
});

describe("gatherPipelineArtifacts", () => {
  async function gatherWith(entries: Parameters<typeof createArtifactZip>[0]) {
    const root = await useTempDir({
      "out/gather.json": JSON.stringify({
        bridge: "concretize and plan",
        jobs: [{ job: "split spack pipeline for amd64", paths: ["out/split/amd64/"] }],
      }),
    });
    const gitlab = await startGitlabApiDouble({
      projectId: "42",
      tokens: [TOKEN],
      pipelines: [
        { id: 1, bridges: [{ id: 2, name: "concretize and plan", downstreamPipelineId: 3 }] },
        {
          id: 3,
          jobs: [{ id: 4, name: "split spack pipeline for amd64", archive: createArtifactZip(entries) }],
        },
      ],
    });
    try {
      return await gatherPipelineArtifacts({
        root,
        out: "out",
        pipelineId: "1",
        apiUrl: gitlab.url,
        projectId: "42",
        token: TOKEN,
        now: new Date(),
      });
    } finally {
      await gitlab.stop();
    }
  }

  test("reports the trigger artifact: only the YAML files the gather job keeps", async () => {
    const result = await gatherWith([
      { name: "out/split/amd64/pipeline.yml", data: "stages: [a]\n", deflate: true },
      { name: "out/containers/amd64/pipeline.yml", data: "stages: [b]\n" },
      { name: "out/containers/amd64/app/Dockerfile", data: "FROM scratch\n" },
    ]);
    expect(result.artifact).toMatchObject({ files: 2, bytes: 24, limitBytes: MAX_INCLUDE_ARCHIVE_BYTES });
    expect(result.artifact.estimatedZipBytes).toBeGreaterThan(24);
  });

  test("fails, naming the largest file, when the artifact would zip past GitLab's 5 MB", async () => {
    const big = randomBytes(5_000_000).toString("base64");
    await expect(
      gatherWith([
        { name: "out/split/amd64/stage-1.yml", data: big, deflate: true },
        { name: "out/split/amd64/pipeline.yml", data: "stages: [a]\n" },
      ]),
    ).rejects.toMatchObject({
      code: "GATHER_ARTIFACT_TOO_LARGE",
      message: expect.stringContaining(`Largest: out/split/amd64/stage-1.yml (${big.length} bytes)`),
    });
  });
});
