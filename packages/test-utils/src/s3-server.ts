import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { spawnService } from "./spawn-service.js";
import { waitFor } from "./wait-for.js";

/** s3rver accepts any bucket but only these credentials (its built-in account). */
const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

/**
 * Runs s3rver in the child process on port 0 and prints the port it got, so there is no
 * free-port race. CommonJS because `node -e` evaluates CommonJS by default.
 */
const CHILD_SCRIPT = `
const [modulePath, directory] = process.argv.slice(1);
const S3rver = require(modulePath);
new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true })
  .run()
  .then(({ port }) => process.stdout.write("s3rver-port=" + port + "\\n"))
  .catch((error) => { console.error(error); process.exit(1); });
`;

export interface StartS3ServerOptions {
  /** Buckets created before the function returns. */
  buckets?: readonly string[];
}

/** Where an S3 server is and how to sign for it: plain data, so a vitest globalSetup can `provide` it. */
export type S3Connection = {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
};

/** A running s3rver. */
export interface S3Server extends S3Connection {
  /** The temp dir holding the buckets (removed by `stop()`). */
  directory: string;
  /** A client configured for this server (path-style, checksums only when required). */
  client(): S3Client;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a free loopback port in a temp dir, as a child process run with
 * `node --openssl-legacy-provider`: s3rver encrypts ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node 17+) only has in its legacy provider, so without the flag every listing
 * longer than one page (1000 keys) fails.
 */
export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3Server> {
  const directory = await mkdtemp(join(tmpdir(), "spacktainers-s3rver-"));
  const modulePath = createRequire(import.meta.url).resolve("s3rver");
  const service = spawnService(
    process.execPath,
    ["--openssl-legacy-provider", "-e", CHILD_SCRIPT, modulePath, directory],
    {
      // NODE_OPTIONS from vitest/tsx must not leak into the plain-JS child.
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      removeOnExit: directory,
    },
  );
  try {
    const [, port] = await withTimeout(service.waitForLine(/^s3rver-port=(\d+)$/), 20_000, () =>
      service.output(),
    );
    const endpoint = `http://127.0.0.1:${port}`;
    // Listening is not the same as answering requests: wait for a real HTTP response.
    await waitFor(
      async () => {
        if (service.hasExited()) {
          throw Object.assign(new Error(`s3rver exited before answering:\n${service.output()}`), {
            abort: true,
          });
        }
        await (await fetch(endpoint)).arrayBuffer();
        return true;
      },
      { description: `s3rver at ${endpoint}` },
    );
    const connection: S3Connection = { endpoint, ...S3RVER_CREDENTIALS, region: "us-east-1" };
    const client = () => createS3Client(connection);
    if (options.buckets?.length) {
      const setupClient = client();
      try {
        for (const bucket of options.buckets)
          await setupClient.send(new CreateBucketCommand({ Bucket: bucket }));
      } finally {
        setupClient.destroy();
      }
    }
    return {
      ...connection,
      directory,
      client,
      async stop() {
        await service.stop();
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await service.stop();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * An S3 client for a loopback S3 server: path-style addressing (no `<bucket>.127.0.0.1` hosts)
 * and checksums only when required (streamed bodies cannot be checksummed up front).
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    endpoint: connection.endpoint,
    region: connection.region,
    // A fresh object per client: the SDK tags the credentials object it is given ($source).
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`service did not start within ${timeoutMs} ms:\n${describe()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
