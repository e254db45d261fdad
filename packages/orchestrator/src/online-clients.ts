import type { CiContext, SiteConfig } from "@spacktainers/core";
import { createS3Client, type S3Client } from "@spacktainers/core/net";
import { createRegistryClient, DOCKER_HUB_REGISTRY } from "@spacktainers/image-builder";
import type { PlanClients } from "./plan-containers.js";

/**
 * Registry (ours and, on prod with `docker_hub.enabled`, Docker Hub) and S3 clients for the online checks, from the credential variables the site config
 * names. Offline (no CI), or a variable unset: that client is absent and its decisions are
 * "build: not checked (offline)".
 */
export function onlineClients({
  config,
  context,
  env,
}: {
  config: SiteConfig;
  context: CiContext;
  env: Record<string, string | undefined>;
}): PlanClients & { close(): Promise<void> } {
  if (context.offline) return { close: async () => {} };
  const registry = env[config.registry.user_var]
    ? createRegistryClient({
        env,
        credentials: [{ userVar: config.registry.user_var, passwordVar: config.registry.password_var }],
        tlsVerify: config.registry.tls_verify,
      })
    : undefined;
  // Docker Hub is only published to from the default branch; its public tags can be read
  // anonymously, its credentials (when set) lift the pull rate limit.
  const hub = config.docker_hub;
  const dockerHub =
    hub.enabled && context.isProd
      ? createRegistryClient({
          env,
          credentials: [
            { registry: DOCKER_HUB_REGISTRY, userVar: hub.user_var, passwordVar: hub.password_var },
          ],
        })
      : undefined;
  const s3Clients = new Map<string, S3Client | undefined>();
  const s3 = (arch: string) => {
    if (!s3Clients.has(arch)) {
      const bucket = config.architectures[arch]!.containers_bucket;
      s3Clients.set(
        arch,
        createS3Client({
          env,
          credentials: {
            accessKeyVar: bucket.credentials.access_key_var,
            secretKeyVar: bucket.credentials.secret_key_var,
          },
          endpoint: bucket.endpoint,
        }),
      );
    }
    return s3Clients.get(arch);
  };
  return {
    ...(registry ? { registry } : {}),
    ...(dockerHub ? { dockerHub: { client: dockerHub, env } } : {}),
    s3,
    close: async () => {
      await registry?.close();
      await dockerHub?.close();
      for (const client of s3Clients.values()) client?.destroy();
    },
  };
}
