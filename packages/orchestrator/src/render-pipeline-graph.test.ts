import type { GitlabPipeline } from "@spacktainers/core";
import { expect, test } from "vitest";
import { renderPipelineGraph } from "./render-pipeline-graph.js";

const pipeline: GitlabPipeline = {
  stages: ["a", "b", "c"],
  jobs: {
    first: { stage: "a", script: ["true"] },
    second: { stage: "a", script: ["true"] },
    "by stage": { stage: "b", script: ["true"] },
    trigger: {
      stage: "c",
      needs: ["first"],
      trigger: { include: [{ artifact: "x.yml", job: "first" }], strategy: "depend" },
    },
  },
};

test("edges follow needs when given, else the previous stage; triggers point at their child", () => {
  expect(renderPipelineGraph(pipeline, "mermaid", { trigger: 'child "X"' })).toMatchInlineSnapshot(`
    "flowchart LR
      n0["first"]
      n1["second"]
      n2["by stage"]
      n3["trigger"]
      n4[/"child 'X' (trigger)"/]
      n0 --> n2
      n1 --> n2
      n0 --> n3
      n3 -.-> n4
    "
  `);
  expect(renderPipelineGraph(pipeline, "dot")).toMatchInlineSnapshot(`
    "digraph pipeline {
      rankdir=LR;
      node [shape=box, fontname="sans-serif"];
      n0 [label="first"];
      n1 [label="second"];
      n2 [label="by stage"];
      n3 [label="trigger"];
      n4 [label="child pipeline (trigger)", style=dashed];
      n0 -> n2;
      n1 -> n2;
      n0 -> n3;
      n3 -> n4 [style=dashed];
    }
    "
  `);
});
