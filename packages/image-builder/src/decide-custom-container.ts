import type { S3Client } from "@aws-sdk/client-s3";
import { SIF_METADATA, SpacktainersError } from "@spacktainers/core";
import { type Decision, OFFLINE_DECISION } from "./decide-image.js";
import { decideSifUpload } from "./decide-sif-upload.js";
import type { RegistryClient } from "./registry-client.js";

export interface DecideCustomContainerOptions {
  /** Client that can read the `.def`'s source registry (often Docker Hub, anonymously). */
  client?: RegistryClient;
  s3?: S3Client;
  offline?: boolean;
  /** The `From:` image of the `.def` file. */
  source: string;
  /** Architecture of the SIF. */
  arch: string;
  /** Container checksum of the `.def` file. */
  checksum: string;
  bucket: string;
  key: string;
}

/** A custom decision also reports the source digest the SIF job must pin. */
export type CustomContainerDecision = Decision & {
  /** Manifest digest of the source image for this arch (absent offline). */
  sourceDigest?: string;
};

/**
 * A custom (`.def`) container's SIF is up to date when its metadata names the current digest
 * of the source image for this arch and the current `.def` checksum. A source image without
 * this arch is an error, not a fallback to another arch.
 */
export async function decideCustomContainer({
  client,
  s3,
  offline,
  source,
  arch,
  checksum,
  bucket,
  key,
}: DecideCustomContainerOptions): Promise<CustomContainerDecision> {
  if (offline || !client || !s3) return OFFLINE_DECISION;
  const found = await client.inspectImage({ reference: source, arch });
  if (!found.exists)
    throw new SpacktainersError({
      code: "SOURCE_IMAGE_MISSING",
      message: `source image of a custom container is not usable: ${found.reason}`,
    });
  const decision = await decideSifUpload({
    s3,
    bucket,
    key,
    metadata: { [SIF_METADATA.containerChecksum]: checksum, [SIF_METADATA.digest]: found.digest },
  });
  return { ...decision, sourceDigest: found.digest };
}
