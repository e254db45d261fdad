import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readCiContext } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { createRegistryClient, describeBaseImage } from "@spacktainers/image-builder";
import {
  type OciRegistry,
  pushTestImage,
  startDockerHubDouble,
  startOciRegistry,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generate } from "../src/generate.js";
import { onlineClients } from "../src/online-clients.js";
import { planContainers } from "../src/plan-containers.js";
import { createFixtureRepo, simulateConcretize } from "./helpers/e2e-repo.js";

/**
 * The Docker Hub decision of `spacktainers containers` on prod: the repository and tag are
 * looked up through Docker Hub's API (a loopback double) and the tag's labels read from its
 * registry (Debian's docker-registry standing in for registry-1.docker.io).
 */

const env = { CI: "true", CI_COMMIT_REF_NAME: "main", CI_DEFAULT_BRANCH: "main", CI_PIPELINE_ID: "7" };
const context = readCiContext({ env, now: new Date("2026-02-01T00:00:00Z") });

let registry: OciRegistry;
let root: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  registry = await startOciRegistry();
  const fixture = await createFixtureRepo();
  root = fixture.root;
  remove = fixture.remove;
  const configPath = join(root, "container_definitions/spacktainers.yaml");
  const config = await readFile(configPath, "utf8");
  await writeFile(
    configPath,
    config.replace("  enabled: false\n", "  enabled: true\n  namespace: bluebrain\n"),
  );
  await generate({ root, context });
  await simulateConcretize(root);
}, 120_000);

afterAll(async () => {
  await remove?.();
  await registry?.stop();
});

async function plan(hubRepositories: Record<string, string[]>, now = context.now) {
  const loaded = await loadDefinitions({ root });
  if (!loaded.config) throw new Error(JSON.stringify(loaded.problems));
  const hub = await startDockerHubDouble({ repositories: hubRepositories });
  const client = createRegistryClient({ plainHttp: [registry.host] });
  try {
    const result = await planContainers({
      root,
      arch: "amd64",
      config: loaded.config,
      definitions: loaded.definitions,
      // The GitLab registry of the project is the test registry too.
      context: { ...context, now, registryImage: `${registry.host}/group/project` },
      environments: "out/environments",
      out: "out/containers/amd64",
      pipelineId: "7",
      clients: { registry: client, dockerHub: { client, apiUrl: hub.url, registry: registry.host } },
    });
    return {
      plans: result.plans,
      requests: hub.requests,
      jobs: Object.keys(result.pipeline.jobs),
      warnings: result.warnings,
    };
  } finally {
    await client.close();
    await hub.stop();
  }
}

test("on prod the Docker Hub push is decided from Docker Hub: missing repository, missing tag, labels", async () => {
  const first = await plan({});
  const app = first.plans.find((entry) => entry.name === "fixture-app")!;
  expect(app.decisions.dockerHub).toEqual({
    action: "skip",
    reason:
      "Docker Hub repository bluebrain/spackah-fixture-app does not exist; create it at https://hub.docker.com/repository/create?namespace=bluebrain to publish this container",
  });
  expect(first.requests).toContain("GET /v2/namespaces/bluebrain/repositories/spackah-fixture-app");
  // The image is built (no registry client: not checked), yet nothing can be pushed into a
  // repository that does not exist: no push job, and a warning saying how to create it.
  expect(app.decisions.image?.action).toBe("build");
  expect(first.jobs.filter((job) => job.includes("docker hub"))).toEqual([]);
  expect(first.warnings.filter((warning) => warning.message.startsWith("fixture-app"))).toEqual([
    {
      code: "DOCKER_HUB_REPOSITORY_MISSING",
      file: "container_definitions/amd64/fixture-app.yaml",
      message:
        "fixture-app (amd64) is not pushed to Docker Hub: the repository bluebrain/spackah-fixture-app does not exist",
      hint: "create it at https://hub.docker.com/repository/create?namespace=bluebrain (name spackah-fixture-app); the next default-branch pipeline pushes the container",
    },
  ]);

  const noTag = await plan({ "bluebrain/spackah-fixture-app": [] });
  expect(noTag.plans.find((entry) => entry.name === "fixture-app")!.decisions.dockerHub).toEqual({
    action: "build",
    reason: "the image is built in this pipeline",
  });
  expect(noTag.jobs).toContain("push fixture-app to docker hub for amd64");
  expect(noTag.warnings.map((warning) => warning.file)).toEqual([
    "container_definitions/amd64/zlib-tools/spack.yaml",
  ]);
}, 120_000);

test("a plan at another time pushes nothing: only content labels are compared, never the creation time", async () => {
  // The base images and the container as the first pipeline left them, in the GitLab registry
  // and on Docker Hub, labelled at that pipeline's time.
  const loaded = await loadDefinitions({ root });
  for (const name of ["builder", "runtime"] as const) {
    const base = await describeBaseImage({ root, name, config: loaded.config!, isProd: true });
    await pushTestImage({ registry: registry.host, repository: `group/project/${name}`, tag: base.tag });
  }
  const hubRepositories = { "bluebrain/spackah-fixture-app": [] as string[] };
  const first = await plan(hubRepositories, new Date("2026-02-01T00:00:00Z"));
  const app = first.plans.find((entry) => entry.name === "fixture-app")!;
  expect(app.decisions.image).toEqual({
    action: "build",
    reason: `${app.identity!.image} not found in the registry`,
  });
  for (const repository of ["group/project/fixture-app", "bluebrain/spackah-fixture-app"])
    await pushTestImage({
      registry: registry.host,
      repository,
      tag: app.identity!.tag,
      labels: { ...app.identity!.labels, "org.opencontainers.image.revision": "0123abcd" },
    });
  hubRepositories["bluebrain/spackah-fixture-app"].push(app.identity!.tag);

  const dayLater = await plan(hubRepositories, new Date("2026-02-02T00:00:00Z"));
  const again = dayLater.plans.find((entry) => entry.name === "fixture-app")!;
  expect(again.identity!.labels["org.opencontainers.image.created"]).toBe("2026-02-02T00:00:00.000Z");
  expect({ image: again.decisions.image, dockerHub: again.decisions.dockerHub }).toEqual({
    image: { action: "skip", reason: `${app.identity!.image} is up to date (amd64)` },
    dockerHub: {
      action: "skip",
      reason: `Docker Hub bluebrain/spackah-fixture-app:${app.identity!.tag} is up to date`,
    },
  });
  expect(dayLater.jobs.filter((job) => job.includes("fixture-app"))).toEqual([
    // No S3 client here: the SIF is not checked, so it is converted again; nothing else.
    "convert fixture-app to sif for amd64",
  ]);
}, 120_000);

test("onlineClients reads Docker Hub only on prod with docker_hub enabled", async () => {
  const loaded = await loadDefinitions({ root });
  const clients = onlineClients({ config: loaded.config!, context, env });
  const branch = onlineClients({
    config: loaded.config!,
    context: readCiContext({ env: { ...env, CI_COMMIT_REF_NAME: "feature" }, now: context.now }),
    env,
  });
  try {
    expect([clients.dockerHub !== undefined, branch.dockerHub !== undefined]).toEqual([true, false]);
  } finally {
    await clients.close();
    await branch.close();
  }
});
