import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { type ServiceProcess, spawnService } from "./spawn-service.js";
import { waitFor } from "./wait-for.js";

/** Debian's build of the CNCF distribution registry (apt package `docker-registry`). */
export const DOCKER_REGISTRY_BINARY = "/usr/bin/docker-registry";

export interface StartOciRegistryOptions {
  /** Registry binary (default {@link DOCKER_REGISTRY_BINARY}). */
  binary?: string;
  /**
   * `"htpasswd"`: require HTTP basic auth with {@link OCI_REGISTRY_TEST_CREDENTIALS} (the registry
   * answers 401 with `WWW-Authenticate: Basic realm="spacktainers-test"` without them).
   */
  auth?: "none" | "htpasswd";
}

/** The only user of a registry started with `auth: "htpasswd"` (a test fixture, not a secret). */
export const OCI_REGISTRY_TEST_CREDENTIALS = { username: "tester", password: "spacktainers-test" } as const;

// bcrypt (cost 5, fixed salt) of OCI_REGISTRY_TEST_CREDENTIALS.password, made with glibc crypt();
// the registry's htpasswd auth only accepts bcrypt, and Node has no bcrypt built in.
const HTPASSWD = "tester:$2b$05$abcdefghijklmnopqrstuujnEZXZM5oK1FyvXIwMrlZljmD/hKnte\n";

/** A running registry. */
export interface OciRegistry {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Host and port as used in image references, e.g. `127.0.0.1:40123`. */
  host: string;
  /** The temp dir holding the config and the storage (removed by `stop()`). */
  directory: string;
  /** Basic-auth credentials when started with `auth: "htpasswd"`. */
  credentials?: { username: string; password: string };
  /** Kills the registry and removes its directory. */
  stop(): Promise<void>;
}

// Minimal config: filesystem storage, deletes allowed (prune tests), no auth, quiet logs.
// Address and storage path come from env overrides so the file never changes.
const CONFIG = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /unused
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
`;

/**
 * Starts `docker-registry serve` on a free loopback port with storage in a temp dir and waits
 * until `GET /v2/` answers 200. Plain HTTP: push with `--tls-verify=false`.
 */
export async function startOciRegistry(options: StartOciRegistryOptions = {}): Promise<OciRegistry> {
  const binary = options.binary ?? DOCKER_REGISTRY_BINARY;
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} not found: the OCI registry tests need Debian's registry (apt-get install -y docker-registry; .ci/run installs it)`,
    );
  }
  const credentials = options.auth === "htpasswd" ? { ...OCI_REGISTRY_TEST_CREDENTIALS } : undefined;
  // The registry cannot bind port 0 and report it, so pick a free port and retry if another
  // process takes it between our probe and the registry's bind.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const directory = await mkdtemp(join(tmpdir(), "spacktainers-registry-"));
    const configPath = join(directory, "config.yml");
    await writeFile(configPath, CONFIG);
    const authEnv: NodeJS.ProcessEnv = {};
    if (credentials) {
      await writeFile(join(directory, "htpasswd"), HTPASSWD);
      authEnv.REGISTRY_AUTH_HTPASSWD_REALM = "spacktainers-test";
      authEnv.REGISTRY_AUTH_HTPASSWD_PATH = join(directory, "htpasswd");
    }
    const host = `127.0.0.1:${await freePort()}`;
    const url = `http://${host}`;
    const service = spawnService(binary, ["serve", configPath], {
      cwd: directory,
      removeOnExit: directory,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REGISTRY_HTTP_ADDR: host,
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(directory, "storage"),
        // Fixed secret: silences the "no HTTP secret" warning; uploads never leave this process.
        REGISTRY_HTTP_SECRET: "spacktainers-test",
        ...authEnv,
      },
    });
    const stop = async () => {
      await service.stop();
      await rm(directory, { recursive: true, force: true });
    };
    try {
      await waitUntilAnswering(service, url, credentials);
      return { url, host, directory, ...(credentials ? { credentials } : {}), stop };
    } catch (error) {
      lastError = error;
      await stop();
      if (!/address already in use/.test(service.output())) break;
    }
  }
  throw lastError;
}

async function waitUntilAnswering(
  service: ServiceProcess,
  url: string,
  credentials: { username: string; password: string } | undefined,
): Promise<void> {
  const headers: Record<string, string> = credentials
    ? {
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`,
      }
    : {};
  await waitFor(
    async () => {
      if (service.hasExited()) {
        throw Object.assign(new Error(`docker-registry exited before answering:\n${service.output()}`), {
          abort: true,
        });
      }
      const response = await fetch(`${url}/v2/`, { headers });
      await response.arrayBuffer();
      return response.status === 200;
    },
    { description: `docker-registry at ${url}/v2/`, timeoutMs: 20_000 },
  );
}
