import { describe, expect, it } from "vitest";
import { createRebase } from "./create-rebase.js";
import { differingJobKeys } from "./differing-job-keys.js";
import type { SpackJob } from "./parse-spack-pipeline.js";

function job(body: Record<string, unknown>): SpackJob {
  return { name: "zlib@1.3 /abc", stageIndex: 0, body, specNeeds: [], locate: () => ({ line: 1, col: 1 }) };
}

const rebaseA = createRebase("jobs_scratch_dir/app", "\u0000root");
const rebaseB = createRebase("jobs_scratch_dir/other", "\u0000root");

describe("differingJobKeys", () => {
  it("finds nothing between copies that differ only where containers legitimately differ", () => {
    const script = ["spack ci rebuild"];
    const a = job({
      stage: "stage-0",
      needs: [{ job: "x" }],
      tags: ["big"],
      script,
      artifacts: { paths: ["jobs_scratch_dir/app/logs"] },
      variables: { SPACK_JOB_SPEC_DAG_HASH: "abc", LOGS: "jobs_scratch_dir/app/logs" },
    });
    const b = job({
      variables: { LOGS: "jobs_scratch_dir/other/logs", SPACK_JOB_SPEC_DAG_HASH: "abc" },
      artifacts: { paths: ["jobs_scratch_dir/other/logs"] },
      script: [...script],
      stage: "stage-3",
      retry: { max: 2 },
    });
    expect(differingJobKeys(a, rebaseA, b, rebaseB)).toEqual([]);
  });

  it("names each differing key and variable once, from either side, in natural order", () => {
    const a = job({
      script: ["make"],
      image: "builder:1",
      variables: { V10: "1", V2: "x", ONLY_A: "a", SAME: "s" },
    });
    const b = job({
      script: ["make install"],
      after_script: ["echo done"],
      variables: { V2: "y", SAME: "s", V10: "2", ONLY_B: "b" },
    });
    expect(differingJobKeys(a, rebaseA, b, rebaseB)).toEqual([
      "after_script",
      "image",
      "script",
      "variables.ONLY_A",
      "variables.ONLY_B",
      "variables.V2",
      "variables.V10",
    ]);
    expect(differingJobKeys(b, rebaseB, a, rebaseA)).toEqual(differingJobKeys(a, rebaseA, b, rebaseB));
  });
});
