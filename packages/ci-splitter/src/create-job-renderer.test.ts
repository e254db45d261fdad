import { renderYaml } from "@spacktainers/core";
import { describe, expect, it } from "vitest";
import {
  createJobRenderer,
  orderJobKeys,
  renderJobYaml,
  renderJobYamlFast,
  renderMappingYaml,
} from "./create-job-renderer.js";

const SPECIAL = [
  "",
  "4",
  "True",
  "None",
  "1.0",
  "2022-10-11",
  ".inf",
  "0x1F",
  "0o17",
  "-",
  "?",
  "~",
  "~a",
  "null",
  "12.2.0",
  "+extra build_system=generic",
  "$" + "{X}",
  "cd $" + "{SPACK_CONCRETE_ENV_DIR}",
  "a: b",
  "a:b",
  "a:",
  "a #b",
  "a#b",
  "-a",
  "?a",
  "!a",
  "*a",
  "a*",
  "%gcc",
  "@x",
  "(specs) bzip2/abc 1.0 gcc@12",
  "x=y",
  "<a>",
  "{a}",
  "a{b}",
  "$VAR",
  ". ./x.sh",
  "1e5",
  "+1",
  "-1",
  "1_000",
  "yes",
  "off",
  "=",
  ",a",
  ".a",
  "(a",
  "a-",
  "https://s3.example.org",
  "ghcr.io/example/spack-runner:latest",
  "zlib@1.2.13 /23njwcm %gcc@12.2.0 arch=linux-debian12-x86_64",
  "a  b",
  "a ",
  'git config --global url."https://gitlab-ci-token:$' +
    '{CI_JOB_TOKEN}@example.org/".insteadOf ssh://git@example.org/',
  'git config --add --global url."https://gitlab-ci-token:$' +
    '{CI_JOB_TOKEN}@example.org/".insteadOf git@example.org:',
  'spack gpg trust "$SPACK_DEPLOYMENT_KEY_PUBLIC"',
  "it's",
  "x'y:",
  '"a',
  "a\\b:",
  "--- a",
  "...",
  "<<",
  "a [x]",
  "é",
];
const CHARS = "aZ09_$./()@%+=,~^{}*<>!?- :#'\"\\\t|&[]`";

function job(text: string): Record<string, unknown> {
  return {
    stage: "stage-0",
    variables: { [text || "k"]: text },
    script: [text],
    needs: [{ job: text, pipeline: "1", artifacts: true }],
    retry: { max: 2, when: ["api_failure"] },
    interruptible: true,
  };
}

describe("renderJobYaml", () => {
  it("writes the same bytes as core's renderYaml, fast for the strings Spack jobs hold", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const samples = [...SPECIAL];
    for (let index = 0; index < 5000; index++) {
      let text = "";
      for (let length = Math.floor(random() * 9); length > 0; length--)
        text += CHARS[Math.floor(random() * CHARS.length)];
      samples.push(text);
    }
    const mismatches: string[] = [];
    let fast = 0;
    for (const text of samples) {
      const name = text || "n";
      const expected = renderYaml({ [name]: job(text) });
      const quick = renderJobYamlFast(name, job(text));
      if (quick !== undefined) fast++;
      if (renderJobYaml(name, job(text)) !== expected || (quick !== undefined && quick !== expected))
        mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
    // The fast path must really serve the common strings (else the 10 000-job split is slow).
    for (const text of [
      "+extra build_system=generic",
      "https://s3.example.org",
      "cd $" + "{SPACK_CONCRETE_ENV_DIR}",
      "2022-10-11",
      'git config --add --global url."https://gitlab-ci-token:$' +
        '{CI_JOB_TOKEN}@example.org/".insteadOf git@example.org:',
      'spack gpg trust "$SPACK_DEPLOYMENT_KEY_PUBLIC"',
    ])
      expect(renderJobYamlFast("n", job(text))).toBeDefined();
    expect(fast).toBeGreaterThan(1000);
  });

  it("orders job keys and variables like renderPipelineYaml", () => {
    expect(
      Object.keys(
        orderJobKeys({ script: ["x"], zeta: 1, stage: "s", artifacts: {}, alpha: 2, needs: [], tags: ["t"] }),
      ),
    ).toEqual(["stage", "tags", "needs", "script", "artifacts", "alpha", "zeta"]);
    expect(orderJobKeys({ stage: "s", variables: { B10: "1", B2: "2", A: "3" } })).toEqual({
      stage: "s",
      variables: { A: "3", B2: "2", B10: "1" },
    });
  });
});

describe("createJobRenderer", () => {
  it("writes renderYaml's bytes of the ordered job, with shared lists rendered once and reused", () => {
    const script = ["cd jobs_scratch_dir/concrete_environment", "spack ci rebuild"];
    const image = { name: "ghcr.io/example/runner:latest", entrypoint: [""] };
    const needs = [{ job: "concretize app for amd64", pipeline: "1", artifacts: true }];
    const jobs: Array<[string, Record<string, unknown>]> = [
      ["a@1 /x", { script, variables: { B10: "1", B2: "True", A: "x: y" }, stage: "stage-0", image, needs }],
      ["b@1 /y", { needs, stage: "stage-1", image, script, variables: { A: "'q'", B2: '"a' } }],
      ["c@1 /z", { stage: "stage-1", script, artifacts: { paths: script }, before_script: script }],
      // Not in the fast path (an empty list, a null): core's renderYaml writes it.
      ["d@1 /w", { stage: "stage-1", script, tags: [], when: null }],
    ];
    const render = createJobRenderer();
    for (const [name, job] of [...jobs, ...jobs])
      expect(render(name, job).parts.join("")).toBe(renderYaml({ [name]: orderJobKeys(job) }));
  });
});

describe("createJobRenderer: sizes", () => {
  it("gives each job's size in bytes, also past ASCII (left to renderYaml)", () => {
    const render = createJobRenderer();
    const jobs: Array<[string, Record<string, unknown>]> = [
      ["a@1 /x", { stage: "stage-0", script: ["make"], variables: { A: "x" } }],
      ["é@1 /y", { stage: "stage-0", script: ["make"] }],
      ["b@1 /z", { stage: "stage-0", script: ["échec", "ok ü"], variables: { É: "1" } }],
    ];
    for (const [name, job] of jobs) {
      const { parts, bytes } = render(name, job);
      const text = parts.join("");
      expect(text).toBe(renderYaml({ [name]: orderJobKeys(job) }));
      expect(bytes).toBe(Buffer.byteLength(text));
    }
  });
});

describe("renderMappingYaml", () => {
  it("writes renderYaml's bytes for a chunk header, on the fast path and off it", () => {
    const headers: Array<Record<string, unknown>> = [
      { stages: ["stage-0"] },
      {
        stages: ["stage-3"],
        variables: { SPACK_ARTIFACTS_ROOT: "jobs_scratch_dir", SPACK_VERSION: "0.23.1" },
      },
      // Off the fast path: a value past ASCII, an empty mapping.
      { stages: ["stage-1"], variables: { NOTE: "échec" } },
      { stages: ["stage-1"], variables: {} },
      {},
    ];
    for (const header of headers) expect(renderMappingYaml(header)).toBe(renderYaml(header));
  });
});
