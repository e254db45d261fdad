import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { gitlabCiFailures, useTempDir, validateGitlabCi } from "@spacktainers/test-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { synthesizeInput } from "../bench/synthesize-input.js";
import { splitSpackPipeline } from "../src/index.js";
import { architecture, checkSplit } from "./helpers.js";

async function inputTexts(dir: string): Promise<string[]> {
  const containers = await readdir(dir);
  return Promise.all(containers.map((container) => readFile(join(dir, container, "pipeline.yml"), "utf8")));
}

describe("large synthetic input", () => {
  it("splits 3000 job entries (10 containers × 300, half shared) into chunks of ≤ 120 jobs that gitlab-ci-local accepts", {
    timeout: 300_000,
  }, async () => {
    const root = await useTempDir();
    const dir = join(root, "jobs_scratch_dir.amd64");
    const generated = await synthesizeInput({
      dir,
      containers: 10,
      jobsPerContainer: 300,
      sharedFraction: 0.5,
      depth: 4,
    });
    const { files, summary } = await splitSpackPipeline({
      arch: "amd64",
      architecture: architecture(),
      inputDir: dir,
      outputPath: "split.amd64",
      pipelineId: "77",
      maxJobs: 120,
    });
    expect(checkSplit(files, await inputTexts(dir))).toEqual([]);
    expect({
      jobsRead: summary.jobsRead,
      uniqueJobs: summary.uniqueJobs,
      stages: summary.stages,
      chunks: summary.chunks,
    }).toEqual({
      jobsRead: generated.jobEntries,
      uniqueJobs: generated.uniqueSpecs,
      stages: 6,
      chunks: 16,
    });
    expect(Math.max(...summary.files.map((file) => file.jobs))).toBeLessThanOrEqual(120);
    const results = await validateGitlabCi({ files });
    expect(gitlabCiFailures(results)).toEqual([]);
    // gitlab-ci-local lists every job of every chunk: 1650 specs, each once.
    const listed = results.slice(1).flatMap((result) => result.jobs.map((job) => job.name));
    expect(new Set(listed).size).toBe(generated.uniqueSpecs);
    expect(listed.length).toBe(generated.uniqueSpecs);
  });

  it("splits a stage by bytes and shortens names over 255 characters", async () => {
    const root = await useTempDir();
    const dir = join(root, "jobs_scratch_dir.amd64");
    await synthesizeInput({
      dir,
      containers: 2,
      jobsPerContainer: 60,
      sharedFraction: 0.5,
      depth: 2,
      namePadding: 200,
    });
    const { files, summary } = await splitSpackPipeline({
      arch: "amd64",
      architecture: architecture(),
      inputDir: dir,
      outputPath: "split.amd64",
      pipelineId: "77",
      maxBytes: 30 * 1024,
    });
    expect(summary.files.every((file) => file.bytes <= 30 * 1024)).toBe(true);
    expect(summary.files.map((file) => file.path)).toEqual([
      "pipeline.yml",
      "chunks/stage-0-1.yml",
      "chunks/stage-0-2.yml",
      "chunks/stage-1-1.yml",
      "chunks/stage-1-2.yml",
      "chunks/stage-1-3.yml",
      "chunks/stage-2.yml",
    ]);
    const names = Object.values(files).flatMap((text) =>
      [...text.matchAll(/^(\S.*):$/gm)].map((match) => match[1]!),
    );
    expect(Math.max(...names.map((name) => name.length))).toBe(255);
    expect(names.filter((name) => /~[0-9a-f]{8}$/.test(name)).length).toBe(summary.uniqueJobs);
    const results = await validateGitlabCi({ files, entries: ["pipeline.yml", "chunks/stage-0-1.yml"] });
    expect(gitlabCiFailures(results)).toEqual([]);
  });

  it("chains a stage after more than 50 triggers by stage order, not needs", async () => {
    const root = await useTempDir();
    const dir = join(root, "jobs_scratch_dir.amd64");
    await synthesizeInput({ dir, containers: 3, jobsPerContainer: 200, sharedFraction: 0.5, depth: 2 });
    const { files, summary } = await splitSpackPipeline({
      arch: "amd64",
      architecture: architecture(),
      inputDir: dir,
      outputPath: "split.amd64",
      pipelineId: "77",
      maxJobs: 1,
    });
    expect(summary.chunks).toBe(summary.uniqueJobs);
    const trigger = parse(files["pipeline.yml"]!) as Record<string, { needs?: string[] }>;
    expect(trigger["build stage-0 (1/100) for amd64"]!.needs).toEqual(["collect child pipelines for amd64"]);
    expect(trigger["build stage-1 (1/150) for amd64"]!.needs).toBeUndefined();
    expect(trigger["rebuild-index"]!.needs).toHaveLength(50);
    const results = await validateGitlabCi({ files, entries: ["pipeline.yml", "chunks/stage-1-1.yml"] });
    expect(gitlabCiFailures(results)).toEqual([]);
  });
});
