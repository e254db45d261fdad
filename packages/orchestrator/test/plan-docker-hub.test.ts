import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readCiContext } from "@spacktainers/core";
import { loadDefinitions } from "@spacktainers/definitions-parser";
import { createRegistryClient } from "@spacktainers/image-builder";
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

async function plan(hubRepositories: Record<string, string[]>) {
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
      context,
      environments: "out/environments",
      out: "out/containers/amd64",
      pipelineId: "7",
      clients: { dockerHub: { client, apiUrl: hub.url, registry: registry.host } },
    });
    return { plans: result.plans, requests: hub.requests };
  } finally {
    await client.close();
    await hub.stop();
  }
}

test("on prod the Docker Hub push is decided from Docker Hub: missing repository, missing tag, labels", async () => {
  const first = await plan({});
  const app = first.plans.find((entry) => entry.name === "fixture-app")!;
  const tag = app.identity!.tag;
  expect(app.decisions.dockerHub).toEqual({
    action: "skip",
    reason:
      "Docker Hub repository bluebrain/spackah-fixture-app does not exist; create it to publish this container",
  });
  expect(first.requests).toContain("GET /v2/namespaces/bluebrain/repositories/spackah-fixture-app");

  const noTag = await plan({ "bluebrain/spackah-fixture-app": [] });
  expect(noTag.plans.find((entry) => entry.name === "fixture-app")!.decisions.dockerHub).toEqual({
    action: "build",
    reason: `bluebrain/spackah-fixture-app:${tag} is not on Docker Hub`,
  });

  await pushTestImage({
    registry: registry.host,
    repository: "bluebrain/spackah-fixture-app",
    tag,
    labels: app.identity!.labels,
  });
  const upToDate = await plan({ "bluebrain/spackah-fixture-app": [tag] });
  expect(upToDate.plans.find((entry) => entry.name === "fixture-app")!.decisions.dockerHub).toEqual({
    action: "skip",
    reason: `Docker Hub bluebrain/spackah-fixture-app:${tag} is up to date`,
  });
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
