import type { CiContext, SiteConfig } from "@spacktainers/core";
import { createRegistryClient, createS3Client } from "@spacktainers/image-builder";
import type { PlanClients } from "./plan-containers.js";

/**
 * Registry and S3 clients for the online checks, from the credential variables the site config
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
  const s3Clients = new Map<string, ReturnType<typeof createS3Client>>();
  const s3 = (arch: string) => {
    if (!s3Clients.has(arch)) {
      const bucket = config.architectures[arch]!.containers_bucket;
      s3Clients.set(
        arch,
        createS3Client({
          env,
          accessKeyVar: bucket.credentials.access_key_var,
          secretKeyVar: bucket.credentials.secret_key_var,
          ...(bucket.endpoint ? { endpoint: bucket.endpoint } : {}),
        }),
      );
    }
    return s3Clients.get(arch);
  };
  return {
    ...(registry ? { registry } : {}),
    s3,
    close: async () => {
      await registry?.close();
      for (const client of s3Clients.values()) client?.destroy();
    },
  };
}
