import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseSiteConfig, readCiContext } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { afterAll, beforeAll, expect, test } from "vitest";
import { parse } from "yaml";
import { buildParentPipeline } from "../src/build-parent-pipeline.js";
import { generate } from "../src/generate.js";
import { planContainers } from "../src/plan-containers.js";
import { splitArchPipeline } from "../src/split-arch-pipeline.js";
import { createFixtureRepo, readTree, simulateConcretize } from "./helpers/e2e-repo.js";

/**
 * `proxy: true` on amd64: every job that runs on an amd64 runner — pipeline A's concretize and
 * base-image jobs, the split build-cache jobs, Spack's own `ci: pipeline-gen` jobs, the container
 * build, manifest and SIF jobs — carries the proxy variables; arm64's jobs do not.
 */

const PROXY = "http://proxy.example.org:3128";
let root: string;
let remove: () => Promise<void>;
let tree: Record<string, string>;

beforeAll(async () => {
  ({ root, remove } = await createFixtureRepo());
  const configPath = join(root, "container_definitions/spacktainers.yaml");
  const config = await readFile(configPath, "utf8");
  await writeFile(
    configPath,
    `${config.replace("    proxy: false\n", "    proxy: true\n")}\nproxy:\n  http: ${PROXY}\n  no_proxy: [.example.org]\n`,
  );
  const context = readCiContext({
    env: {},
    now: new Date("2026-02-01T00:00:00Z"),
    overrides: { refName: "main" },
  });
  await generate({ root, context });
  await simulateConcretize(root);
  const loaded = await loadDefinitions({ root });
  for (const arch of ["amd64", "arm64"]) {
    await splitArchPipeline({
      root,
      arch,
      config: loaded.config!,
      definitions: loaded.definitions,
      input: `out/jobs_scratch_dir.${arch}`,
      out: `out/split/${arch}`,
      pipelineId: "7",
    });
    await planContainers({
      root,
      arch,
      config: loaded.config!,
      definitions: loaded.definitions,
      context,
      environments: "out/environments",
      out: `out/containers/${arch}`,
      pipelineId: "7",
    });
  }
  tree = await readTree(join(root, "out"));
}, 120_000);

afterAll(async () => {
  await remove?.();
});

type Job = { tags?: string[]; variables?: Record<string, string>; script?: unknown; extends?: string };

function archJobs(arch: string): Array<[string, string, Job]> {
  const found: Array<[string, string, Job]> = [];
  for (const [path, text] of Object.entries(tree)) {
    if (!path.endsWith(".yml")) continue;
    const { variables: fileVariables, ...jobs } = parse(text, { maxAliasCount: -1 }) as Record<
      string,
      Job
    > & {
      variables?: Record<string, string>;
    };
    // Top-level variables apply to every job of the file; `extends:` takes the template's keys
    // the job lacks and merges the `variables` hashes (docs.gitlab.com/ci/yaml/#extends).
    for (const [name, own] of Object.entries(jobs)) {
      if (name.startsWith(".")) continue;
      const template = own?.extends ? jobs[own.extends] : undefined;
      const job = { ...template, ...own, variables: { ...template?.variables, ...own?.variables } };
      if (Array.isArray(job.tags) && job.tags.includes(arch))
        found.push([path, name, { ...job, variables: { ...fileVariables, ...job.variables } }]);
    }
  }
  return found;
}

test("every job on an amd64 runner gets the proxy variables; no arm64 job does", () => {
  const amd64 = archJobs("amd64");
  const files = new Set(amd64.map(([path]) => path.split("/")[0]));
  // Pipeline A (concretize, base images), split build-cache pipelines, container pipelines.
  expect([...files].sort()).toEqual(["containers", "pipeline.yml", "split"]);
  expect(amd64.length).toBeGreaterThan(10);
  const missing = amd64.filter(
    ([, , job]) => job.variables?.HTTPS_PROXY !== PROXY || job.variables?.no_proxy !== ".example.org",
  );
  expect(missing.map(([path, name, job]) => `${path}: ${name} ${JSON.stringify(job.variables)}`)).toEqual([]);
  const arm64 = archJobs("arm64");
  expect(arm64.length).toBeGreaterThan(3);
  expect(
    arm64.filter(([, , job]) => job.variables?.HTTP_PROXY !== undefined).map(([, name]) => name),
  ).toEqual([]);
});

test("Spack's generated jobs on amd64 get them too (ci: pipeline-gen any-job)", () => {
  const environment = parse(tree["environments/amd64/fixture-app/spack.yaml"]!) as {
    spack: { ci: { "pipeline-gen": Array<{ "any-job"?: { variables?: Record<string, string> } }> } };
  };
  expect(environment.spack.ci["pipeline-gen"][0]!["any-job"]!.variables).toMatchObject({
    HTTP_PROXY: PROXY,
    https_proxy: PROXY,
  });
});

test("ci.proxy: true gives the jobs not tied to an arch (generate, gather, remove-stale-sifs, …) the proxy too", async () => {
  const text = await readFile(join(root, "container_definitions/spacktainers.yaml"), "utf8");
  const parentJobs = (ciProxy: boolean) => {
    const { value, problems } = parseSiteConfig({ text: `${text}\nci:\n  proxy: ${ciProxy}\n` });
    if (!value) throw new Error(JSON.stringify(problems));
    const { jobs } = buildParentPipeline({ config: value });
    return Object.entries(jobs)
      .filter(([, job]) => "script" in job && job.tags === undefined && !job.extends)
      .map(([name, job]) => `${name}: ${(job.variables as Record<string, string>).HTTPS_PROXY ?? "-"}`)
      .sort();
  };
  const notTied = [
    "gather",
    "generate",
    "lint, typecheck and test the tool",
    "release npm packages",
    "remove SIFs of deleted branches",
    "validate and plan",
  ];
  expect(parentJobs(true)).toEqual(notTied.map((name) => `${name}: ${PROXY}`));
  expect(parentJobs(false)).toEqual(notTied.map((name) => `${name}: -`));
  // Without a site proxy, ci.proxy is refused.
  expect(
    parseSiteConfig({ text: `${text.replace(/\nproxy:[\s\S]*$/, "\n")}ci:\n  proxy: true\n` }).problems.map(
      (problem) => problem.message,
    ),
  ).toEqual([
    "ci.proxy is true but the site proxy is not configured",
    "architectures.amd64.proxy is true but the site proxy is not configured",
  ]);
});
