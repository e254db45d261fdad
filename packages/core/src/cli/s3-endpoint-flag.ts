import type { FlagSpec } from "./define-cli.js";
import { parseUrlFlag } from "./parse-url-flag.js";

/** The endpoint variable of S3-compatible stores: the AWS SDK's and AWS CLI's own name. */
export const S3_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_S3";

/**
 * `--endpoint URL` of every command that talks to S3 (janitor, SIF transfer): from the flag,
 * else `AWS_ENDPOINT_URL_S3`, else — with a deprecation warning — the names earlier versions
 * read (`S3_ENDPOINT_URL` of the janitor, `S3_ENDPOINT` of the image builder). Checked as a URL
 * when parsed.
 */
export const s3EndpointFlag = {
  type: "string",
  placeholder: "URL",
  env: S3_ENDPOINT_VARIABLE,
  deprecatedEnv: ["S3_ENDPOINT_URL", "S3_ENDPOINT"],
  parse: parseUrlFlag,
  description: "S3 endpoint of an S3-compatible store (credentials: the standard AWS variables)",
} as const satisfies FlagSpec<string>;
