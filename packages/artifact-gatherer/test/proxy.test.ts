import {
  type GitlabApiDouble,
  type HttpProxy,
  startGitlabApiDouble,
  startHttpProxy,
} from "@spacktainers/test-utils";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { createGitlabClient } from "../src/index.js";

/**
 * The GitLab client follows the job's proxy variables, as the jobs of an arch with `proxy: true`
 * (or `ci.proxy: true`) set them: through a real forward proxy on loopback, or direct when
 * NO_PROXY covers the API host — by name or by an address range.
 */

const TOKEN = "glpat-proxy-test";
let double: GitlabApiDouble;
let proxy: HttpProxy;

beforeAll(async () => {
  double = await startGitlabApiDouble({ projectId: "42", tokens: [TOKEN], pipelines: [] });
  proxy = await startHttpProxy();
});

afterAll(async () => {
  await double?.stop();
  await proxy?.stop();
});

beforeEach(() => {
  double.state.branches = ["main"];
  proxy.requests.length = 0;
});

async function listBranches(env: Record<string, string>): Promise<string[]> {
  const client = createGitlabClient({
    apiUrl: double.url,
    projectId: "42",
    token: TOKEN,
    maxAttempts: 1,
    env,
  });
  try {
    return (await client.listAll<{ name: string }>("/repository/branches")).map((branch) => branch.name);
  } finally {
    await client.close();
  }
}

test("requests go through HTTP_PROXY, and direct when NO_PROXY lists the host or its address range", async () => {
  const host = new URL(double.url).host;
  expect(await listBranches({ HTTP_PROXY: proxy.url })).toEqual(["main"]);
  // undici tunnels through the proxy with CONNECT, for http:// targets too.
  expect(proxy.requests).toEqual([`CONNECT ${host}`]);
  proxy.requests.length = 0;
  expect(await listBranches({ http_proxy: proxy.url, no_proxy: "example.org,127.0.0.0/8" })).toEqual([
    "main",
  ]);
  expect(await listBranches({ HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" })).toEqual(["main"]);
  expect(proxy.requests).toEqual([]);
  // Without the environment the client never reads the process's own variables.
  expect(await listBranches({})).toEqual(["main"]);
  expect(proxy.requests).toEqual([]);
});
