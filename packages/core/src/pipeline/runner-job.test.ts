import { expect, test } from "vitest";
import { parseSiteConfig } from "../config/parse-site-config.js";
import type { SiteConfig } from "../model/site-config.js";
import { infrastructureRetry } from "./gitlab-limits.js";
import { archRunners, runnerJob, siteDeployRunners, toolRunners } from "./runner-job.js";

function siteConfig(extra: string): SiteConfig {
  const { value, problems } = parseSiteConfig({
    text: `
architectures:
  amd64:
    runner_tags: [k8s, amd64]
    proxy: true
    spack_requirement: "target=x86_64_v3"
    variables: { KUBERNETES_CPU_REQUEST: "4" }
    cache_bucket: { name: cache, credentials: { access_key_var: K, secret_key_var: S } }
    containers_bucket: { name: sifs, credentials: { access_key_var: K, secret_key_var: S } }
proxy: { http: "http://proxy.example.org:3128", no_proxy: [.example.org, 10.0.0.0/8] }
sif_deploy: { runner_tags: [bb5_map], directory: /gpfs/containers }
spack: { repository: https://github.com/spack/spack.git, branch: v1.0.2, template: { spack: { view: false } } }
${extra}`,
  });
  expect(problems).toEqual([]);
  return value!;
}

test("a job on an arch's runners: its tags, its variables (proxy included) under the job's own, the infrastructure retry", () => {
  const config = siteConfig("");
  const job = runnerJob(archRunners(config.architectures.amd64!), {
    stage: "build",
    variables: { KUBERNETES_CPU_REQUEST: "16", OWN: "x" },
    interruptible: true,
    timeout: "3h",
    script: ["make"],
  });
  expect(job.tags).toEqual(["k8s", "amd64"]);
  expect(job.variables).toMatchObject({
    KUBERNETES_CPU_REQUEST: "16",
    OWN: "x",
    HTTP_PROXY: "http://proxy.example.org:3128",
    no_proxy: ".example.org,10.0.0.0/8",
  });
  expect(job.retry).toEqual(infrastructureRetry());
  expect(job).toMatchObject({ timeout: "3h", interruptible: true });
});

test("a job's own retry wins; runners without tags or variables add no empty keys", () => {
  const job = runnerJob(
    { tags: [], variables: {} },
    { stage: "s", interruptible: false, timeout: "1m", retry: { max: 0 }, script: ["true"] },
  );
  expect(job).toEqual({
    stage: "s",
    interruptible: false,
    timeout: "1m",
    retry: { max: 0 },
    script: ["true"],
  });
});

test("the jobs not tied to an arch, and the site runner, get the proxy only with ci.proxy", () => {
  const without = siteConfig("");
  expect(toolRunners(without)).toEqual({ tags: [], variables: {} });
  expect(siteDeployRunners(without, without.sif_deploy!)).toEqual({ tags: ["bb5_map"], variables: {} });
  const withProxy = siteConfig("ci: { proxy: true, runner_tags: [tools] }");
  expect(toolRunners(withProxy).tags).toEqual(["tools"]);
  expect(toolRunners(withProxy).variables.HTTPS_PROXY).toBe("http://proxy.example.org:3128");
  expect(siteDeployRunners(withProxy, withProxy.sif_deploy!).variables.https_proxy).toBe(
    "http://proxy.example.org:3128",
  );
});
