/**
 * `@spacktainers/core/net`: the network clients every bin that talks to a server shares — the
 * one S3 client factory and the HTTP dispatcher (proxy, `NO_PROXY`). Apart from `core/node` so
 * that a bin that never opens a connection (the splitter) does not load the AWS SDK and undici.
 */

export type { S3Client } from "@aws-sdk/client-s3";
export type { CreateHttpDispatcherOptions } from "./node/create-http-dispatcher.js";
export { createHttpDispatcher } from "./node/create-http-dispatcher.js";
export type { CreateS3ClientOptions, S3CredentialVariables } from "./node/create-s3-client.js";
export { createS3Client, S3_MAX_ATTEMPTS } from "./node/create-s3-client.js";
