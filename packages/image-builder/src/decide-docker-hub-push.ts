import { compareLabels, identityLabels, SpacktainersError } from "@spacktainers/core";
import { request } from "undici";
import { createDispatcher } from "./create-dispatcher.js";
import { type Decision, OFFLINE_DECISION } from "./decide-image.js";
import { DOCKER_HUB_REGISTRY } from "./parse-image-reference.js";
import type { RegistryClient } from "./registry-client.js";

/** Docker Hub's API (repositories and tags), not the registry. */
export const DOCKER_HUB_API = "https://hub.docker.com";

export interface DecideDockerHubPushOptions {
  /** `docker_hub.enabled` of the site config. */
  enabled: boolean;
  /** The pipeline runs on the default branch. */
  isProd: boolean;
  offline?: boolean;
  /** Docker Hub namespace (`bluebrain`). */
  namespace: string;
  /** Repository name, prefix included (`spackah-brayns`). */
  repository: string;
  /** Tag to publish. */
  tag: string;
  /** Architectures the tag must have. */
  arches: readonly string[];
  /**
   * The container's labels. Only those under `labelPrefix` are compared (checksums, lock
   * sha256, base-image digests, tool versions): `org.opencontainers.image.created` is the plan's
   * time and would make every pipeline push again.
   */
  labels: Record<string, string>;
  /** `registry.label_prefix` of the site config. */
  labelPrefix: string;
  /**
   * The image is built in this pipeline: the new image is pushed whenever the repository exists
   * (its labels are only final once built, e.g. when a base image digest was unknown to the plan).
   */
  imageRebuilt?: boolean;
  /** Client of Docker Hub's registry, to read the labels of an existing tag. */
  client?: RegistryClient;
  /** Docker Hub API base URL (default {@link DOCKER_HUB_API}; a loopback double in tests). */
  apiUrl?: string;
  /** Registry host of Docker Hub images (default `registry-1.docker.io`). */
  registry?: string;
  /** Verify TLS (default true). */
  tlsVerify?: boolean;
  /** Environment with the proxy variables, if any (`HTTPS_PROXY`, `NO_PROXY`). */
  env?: Record<string, string | undefined>;
}

async function hubStatus(
  url: string,
  tlsVerify: boolean,
  env: Record<string, string | undefined>,
): Promise<number> {
  const dispatcher = createDispatcher({ env, tlsVerify });
  try {
    const response = await request(url, {
      method: "GET",
      headers: { accept: "application/json" },
      dispatcher,
    });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    throw new SpacktainersError({
      code: "DOCKER_HUB_UNREACHABLE",
      message: `cannot reach ${new URL(url).origin}: ${(error as Error).message}`,
      cause: error,
    });
  } finally {
    await dispatcher.close();
  }
}

/** A Docker Hub decision; `repositoryMissing` when nothing can be pushed until someone creates the repository. */
export type DockerHubDecision = Decision & { repositoryMissing?: true };

/** Where a user creates a Docker Hub repository (its web interface; the API needs a personal token). */
export function dockerHubCreateUrl(namespace: string): string {
  return `https://hub.docker.com/repository/create?namespace=${encodeURIComponent(namespace)}`;
}

/**
 * Push to Docker Hub only on prod, only into a repository that exists (creating repositories
 * is a human decision, as in the reference), and only when the image is rebuilt, the tag is
 * missing, or its content labels differ from the container's.
 */
export async function decideDockerHubPush(options: DecideDockerHubPushOptions): Promise<DockerHubDecision> {
  const { enabled, isProd, offline, namespace, repository, tag, arches, client } = options;
  const labels = identityLabels(options.labels, options.labelPrefix);
  if (!enabled) return { action: "skip", reason: "Docker Hub push is not enabled in the site config" };
  if (!isProd) return { action: "skip", reason: "only the default branch publishes to Docker Hub" };
  if (offline || !client) return OFFLINE_DECISION;
  const api = (options.apiUrl ?? DOCKER_HUB_API).replace(/\/+$/, "");
  const tlsVerify = options.tlsVerify ?? true;
  const repoUrl = `${api}/v2/namespaces/${namespace}/repositories/${repository}`;
  const repoStatus = await hubStatus(repoUrl, tlsVerify, options.env ?? {});
  if (repoStatus === 404)
    return {
      action: "skip",
      reason: `Docker Hub repository ${namespace}/${repository} does not exist; create it at ${dockerHubCreateUrl(namespace)} to publish this container`,
      repositoryMissing: true,
    };
  if (repoStatus !== 200)
    throw new SpacktainersError({
      code: "DOCKER_HUB_ERROR",
      message: `GET ${repoUrl} answered ${repoStatus}`,
    });
  if (options.imageRebuilt) return { action: "build", reason: "the image is built in this pipeline" };
  const tagUrl = `${repoUrl}/tags/${encodeURIComponent(tag)}`;
  const tagStatus = await hubStatus(tagUrl, tlsVerify, options.env ?? {});
  if (tagStatus === 404)
    return { action: "build", reason: `${namespace}/${repository}:${tag} is not on Docker Hub` };
  if (tagStatus !== 200)
    throw new SpacktainersError({ code: "DOCKER_HUB_ERROR", message: `GET ${tagUrl} answered ${tagStatus}` });
  const image = `${options.registry ?? DOCKER_HUB_REGISTRY}/${namespace}/${repository}:${tag}`;
  for (const arch of arches) {
    const found = await client.inspectImage({ reference: image, arch });
    if (!found.exists) return { action: "build", reason: found.reason };
    const differences = compareLabels(found.labels, labels);
    if (differences.length > 0)
      return {
        action: "build",
        reason: `Docker Hub ${namespace}/${repository}:${tag}: ${differences.join("; ")}`,
      };
  }
  return { action: "skip", reason: `Docker Hub ${namespace}/${repository}:${tag} is up to date` };
}
