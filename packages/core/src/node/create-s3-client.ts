import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { HttpProxyAgent, HttpsProxyAgent } from "hpagent";
import { proxyFor } from "./proxy-for.js";

/** NAMES of the CI variables holding an S3 key pair (never the values). */
export type S3CredentialVariables = {
  /** Variable with the access key id. */
  accessKeyVar: string;
  /** Variable with the secret access key. */
  secretKeyVar: string;
};

export interface CreateS3ClientOptions {
  /** Environment: credentials (when named), region and proxy variables. */
  env: Record<string, string | undefined>;
  /**
   * The variables holding the key pair (a site config's `credentials`). Without them, the AWS
   * SDK's own chain (`AWS_ACCESS_KEY_ID`, profiles, instance roles) provides the credentials.
   */
  credentials?: S3CredentialVariables;
  /** Endpoint of an S3-compatible store; addressing is then path-style. */
  endpoint?: string | undefined;
  /** Region (default `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`). */
  region?: string | undefined;
  /** Attempts per request, retries included, for 500/503/SlowDown/connection resets (default 6). */
  maxAttempts?: number | undefined;
}

/** Attempts per S3 request by default: the SDK's 3 gave up on a busy Ceph gateway mid-prune. */
export const S3_MAX_ATTEMPTS = 6;

/**
 * The one way spacktainers makes an S3 client (janitor, SIF transfer, orchestrator): retries
 * ({@link S3_MAX_ATTEMPTS} attempts), path-style addressing for a custom endpoint, checksums
 * only when required, and the proxy of `HTTPS_PROXY`/`HTTP_PROXY` unless `NO_PROXY` lists the
 * endpoint. With `credentials` (variable names) it returns `undefined` when either variable is
 * unset or empty — offline, or a job without them.
 */
export function createS3Client(
  options: CreateS3ClientOptions & { credentials: S3CredentialVariables },
): S3Client | undefined;
export function createS3Client(options: CreateS3ClientOptions): S3Client;
export function createS3Client({
  env,
  credentials,
  endpoint,
  region,
  maxAttempts = S3_MAX_ATTEMPTS,
}: CreateS3ClientOptions): S3Client | undefined {
  const config: S3ClientConfig = {
    region: region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    maxAttempts,
    // Streamed bodies cannot be checksummed up front, and S3-compatible stores (Ceph, MinIO
    // versions, s3rver) reject the flexible checksums the SDK sends by default since 3.729.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (credentials) {
    const accessKeyId = env[credentials.accessKeyVar];
    const secretAccessKey = env[credentials.secretKeyVar];
    if (!accessKeyId || !secretAccessKey) return undefined;
    config.credentials = { accessKeyId, secretAccessKey };
  }
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  // The SDK ignores HTTPS_PROXY; jobs of an arch with `proxy: true` set it (and NO_PROXY).
  const proxy = proxyFor(endpoint ?? `https://s3.${String(config.region)}.amazonaws.com`, env);
  if (proxy) {
    const agent = { proxy, keepAlive: true };
    config.requestHandler = new NodeHttpHandler({
      httpAgent: new HttpProxyAgent(agent),
      httpsAgent: new HttpsProxyAgent(agent),
    });
  }
  return new S3Client(config);
}
