import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import {
  BASE_IMAGE_NAMES,
  baseImageLabels,
  type CliSpec,
  type CommandIo,
  choiceFlag,
  defineCommand,
  type FlagTable,
  type FlagValues,
  InputInvalidError,
  keyValueFlag,
  numberFlag,
  type Problem,
  parseYaml,
  readCiContext,
  s3EndpointFlag,
  UsageError,
} from "@spacktainers/core";
import { createS3Client } from "@spacktainers/core/net";
import { describeBaseImage } from "./base-image.js";
import { type Decision, decideImage, OFFLINE_DECISION } from "./decide-image.js";
import { decideSifUpload } from "./decide-sif-upload.js";
import { downloadSif } from "./download-sif.js";
import { createRegistryClient, type RegistryClient } from "./registry-client.js";
import { installTreeOf, writeContainerDockerfile } from "./render-container-dockerfile.js";
import { S3_METADATA_KEY, SIF_PART_SIZE_MIB_RANGE, uploadSif } from "./upload-sif.js";

const PROGRAM = "spacktainers-image";

// Node 20 is a supported engine of ours; the AWS SDK's "will require Node 22" notice would land
// in every CI log and in stderr the tests compare. Users can still turn it on explicitly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// src/cli.ts and dist/cli.js both sit one level below package.json.
const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

const parseBaseImageName = choiceFlag(BASE_IMAGE_NAMES);
/** `K=V` of a label or a tool version. */
const parsePair = keyValueFlag();
/** `K=V` of S3 object metadata: keys are what `x-amz-meta-*` headers accept. */
const parseMetadata = keyValueFlag({ key: S3_METADATA_KEY, keyRule: "a key of a-z 0-9 -" });

const registryFlags = {
  "user-var": {
    type: "string",
    description: "NAME of the env var holding the registry user",
    placeholder: "NAME",
    default: "CI_REGISTRY_USER",
  },
  "password-var": {
    type: "string",
    description: "NAME of the env var holding the registry password",
    placeholder: "NAME",
    default: "CI_REGISTRY_PASSWORD",
  },
  "plain-http": {
    type: "string",
    multiple: true,
    description: "registry host reached over plain HTTP (a lab or test registry)",
    placeholder: "HOST",
  },
  "no-tls-verify": {
    type: "boolean",
    description: "do not verify TLS certificates (site config tls_verify: false)",
  },
} as const satisfies FlagTable;

const s3Flags = {
  endpoint: s3EndpointFlag,
  "access-key-var": {
    type: "string",
    description: "NAME of the env var holding the S3 access key id",
    placeholder: "NAME",
    default: "AWS_ACCESS_KEY_ID",
  },
  "secret-key-var": {
    type: "string",
    description: "NAME of the env var holding the S3 secret access key",
    placeholder: "NAME",
    default: "AWS_SECRET_ACCESS_KEY",
  },
  region: { type: "string", description: "S3 region", placeholder: "REGION", env: "AWS_REGION" },
} as const satisfies FlagTable;

function registryClient(io: CommandIo, flags: FlagValues<typeof registryFlags>): RegistryClient {
  const { "user-var": userVar, "password-var": passwordVar } = flags;
  io.maskVariables([userVar, passwordVar]);
  return createRegistryClient({
    env: io.env,
    credentials: [{ userVar, passwordVar }],
    plainHttp: flags["plain-http"],
    tlsVerify: !flags["no-tls-verify"],
  });
}

function s3Client(io: CommandIo, flags: FlagValues<typeof s3Flags>, required: boolean) {
  const { "access-key-var": accessKeyVar, "secret-key-var": secretKeyVar } = flags;
  io.maskVariables([accessKeyVar, secretKeyVar]);
  const client = createS3Client({
    env: io.env,
    credentials: { accessKeyVar, secretKeyVar },
    endpoint: flags.endpoint,
    region: flags.region,
  });
  if (!client && required)
    throw new UsageError(`S3 credentials missing: set the env vars ${accessKeyVar} and ${secretKeyVar}`);
  return client;
}

const inspect = defineCommand({
  name: "inspect",
  summary: "show digest, architecture and labels of an image for one architecture",
  usage: "inspect REF [--arch ARCH] [--plain-http HOST] [--json]",
  details:
    "Follows an index to the ARCH manifest (never another arch), reads its config blob.\nAn absent image prints exists: false (exit 0).",
  positionals: true,
  flags: {
    arch: { type: "string", description: "architecture", placeholder: "ARCH", default: "amd64" },
    ...registryFlags,
  },
  async run(context) {
    const [reference, ...extra] = context.positionals;
    if (!reference || extra.length > 0) throw new UsageError("inspect: give exactly one image reference");
    const client = registryClient(context, context.flags);
    try {
      const result = await client.inspectImage({ reference, arch: context.flags.arch });
      if (context.flags.json) context.json(result);
      else if (result.exists) {
        context.out(`${result.reference} ${result.architecture} ${result.digest}\n`);
        for (const [name, value] of Object.entries(result.labels).sort()) context.out(`  ${name}=${value}\n`);
      } else context.out(`absent: ${result.reason}\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
});

const needsBuild = defineCommand({
  name: "needs-build",
  summary: "decide whether an image (or a base image, or a SIF) must be built: {action, reason}",
  usage:
    "needs-build (--image REF [--arch A]… [--label K=V]… | --base NAME --image REF --root DIR | --sif-bucket B --sif-key K --metadata K=V…) [--json]",
  details: [
    "Image: build unless REF exists for every --arch with every --label. --base NAME adds the",
    "labels of base image NAME (checksum of images/NAME under --root, --spack-commit, --version).",
    "SIF: build unless s3://B/K exists with every --metadata. Offline (no CI environment and no",
    "--online): build, 'not checked (offline)'. Prints 'build: reason' or 'skip: reason'.",
  ].join("\n"),
  flags: {
    image: { type: "string", description: "image reference with tag", placeholder: "REF" },
    arch: {
      type: "string",
      multiple: true,
      description: "architecture the image must have",
      placeholder: "ARCH",
    },
    label: {
      type: "string",
      multiple: true,
      description: "label the image must carry",
      placeholder: "K=V",
      parse: parsePair,
    },
    base: {
      type: "string",
      description: "base image name (builder, runtime, singularitah)",
      placeholder: "NAME",
      parse: parseBaseImageName,
    },
    root: {
      type: "string",
      description: "repository root holding images/",
      placeholder: "DIR",
      env: "CI_PROJECT_DIR",
    },
    "label-prefix": {
      type: "string",
      description: "label prefix",
      placeholder: "PREFIX",
      default: "ch.epfl.bbpgitlab.",
    },
    "spack-commit": {
      type: "string",
      description: "Spack commit the builder must carry",
      placeholder: "SHA",
    },
    version: {
      type: "string",
      multiple: true,
      description: "tool version (apptainer=1.3.6)",
      placeholder: "K=V",
      parse: parsePair,
    },
    "sif-bucket": {
      type: "string",
      description: "bucket of the SIF",
      placeholder: "BUCKET",
      needs: ["sif-key"],
    },
    "sif-key": { type: "string", description: "key of the SIF", placeholder: "KEY", needs: ["sif-bucket"] },
    metadata: {
      type: "string",
      multiple: true,
      description: "metadata the SIF must carry",
      placeholder: "K=V",
      parse: parseMetadata,
    },
    online: { type: "boolean", description: "check even outside CI" },
    ...registryFlags,
    ...s3Flags,
  },
  async run(context) {
    const flags = context.flags;
    const offline = !flags.online && readCiContext({ env: context.env, now: new Date(0) }).offline;
    let decision: Decision;
    const { "sif-bucket": bucket, "sif-key": key, image } = flags;
    if (bucket !== undefined && key !== undefined) {
      const metadata = Object.fromEntries(flags.metadata);
      const s3 = offline ? undefined : s3Client(context, flags, false);
      try {
        decision = s3 ? await decideSifUpload({ s3, bucket, key, metadata }) : OFFLINE_DECISION;
      } finally {
        s3?.destroy();
      }
    } else {
      // One of --sif-bucket and --sif-key alone was refused by their `needs`.
      if (image === undefined)
        throw new UsageError("--image is required (or --sif-bucket and --sif-key for a SIF)");
      const labels = Object.fromEntries(flags.label);
      if (flags.base) {
        const base = await describeBaseImage({
          root: resolve(context.cwd, flags.root ?? "."),
          name: flags.base,
        });
        Object.assign(
          labels,
          baseImageLabels({
            name: base.name,
            labelPrefix: flags["label-prefix"],
            checksum: base.checksum,
            ...(flags["spack-commit"] ? { spackCommit: flags["spack-commit"] } : {}),
            versions: Object.fromEntries(flags.version),
          }),
        );
      }
      const arches = flags.arch.length > 0 ? flags.arch : ["amd64"];
      const client = offline ? undefined : registryClient(context, flags);
      try {
        decision = await decideImage({ client, offline, image, arches, labels });
      } finally {
        await client?.close();
      }
    }
    if (flags.json) context.json(decision);
    else context.out(`${decision.action}: ${decision.reason}\n`);
    return 0;
  },
});

const dockerfile = defineCommand({
  name: "dockerfile",
  summary: "write the Dockerfile of a Spack container (builder + runtime stages, files:, epilogue)",
  usage:
    "dockerfile --name N --arch A --environment-dir DIR --output FILE [--copy SRC:TARGET]… [--epilogue FILE] [--no-strip]",
  details: [
    "DIR (relative to --root, the build context) holds the concretized spack.yaml and spack.lock;",
    "the install tree is read from its spack.yaml. --copy sources are relative to --root.",
    "The file is written atomically; the base images are the build args BUILDER_IMAGE and RUNTIME_IMAGE.",
  ].join("\n"),
  flags: {
    name: { type: "string", description: "container name", placeholder: "NAME", required: true },
    arch: { type: "string", description: "architecture", placeholder: "ARCH", required: true },
    root: {
      type: "string",
      description: "build context (repository root)",
      placeholder: "DIR",
      env: "CI_PROJECT_DIR",
    },
    "environment-dir": {
      type: "string",
      description: "folder with spack.yaml and spack.lock",
      placeholder: "DIR",
      required: true,
    },
    copy: {
      type: "string",
      multiple: true,
      description: "file or folder to copy (files: entry)",
      placeholder: "SRC:TARGET",
    },
    epilogue: { type: "string", description: "Dockerfile.epilogue to append verbatim", placeholder: "FILE" },
    "no-strip": {
      type: "boolean",
      description: "keep the view's binaries as built (a container's `spacktainer: strip: false`)",
    },
    definition: {
      type: "string",
      description: "definition path, for the header comment",
      placeholder: "PATH",
    },
    output: {
      type: "string",
      short: "o",
      description: "where to write the Dockerfile",
      placeholder: "FILE",
      required: true,
    },
  },
  async run(context) {
    const flags = context.flags;
    const { name, arch, "environment-dir": environmentDir } = flags;
    const output = resolve(context.cwd, flags.output);
    const root = resolve(context.cwd, flags.root ?? ".");
    const problems: Problem[] = [];
    const problem = (file: string, message: string) =>
      problems.push({ code: "DOCKERFILE_INPUT", file, message });
    const spackYamlPath = join(environmentDir, "spack.yaml");
    let environment: unknown;
    const spackYaml = await readFile(join(root, spackYamlPath), "utf8").catch(() => undefined);
    if (spackYaml === undefined) problem(spackYamlPath, `cannot read ${spackYamlPath} under ${root}`);
    else {
      const parsed = parseYaml({ text: spackYaml, file: spackYamlPath });
      problems.push(...parsed.problems);
      environment = parsed.value;
    }
    const files: Array<{ source: string; target: string; type: "file" | "directory" }> = [];
    for (const entry of flags.copy) {
      const colon = entry.indexOf(":");
      const source = entry.slice(0, colon);
      const target = entry.slice(colon + 1);
      if (colon <= 0 || !target.startsWith("/")) {
        problem("--copy", `"${entry}": want SRC:/absolute/target`);
        continue;
      }
      const info = await stat(join(root, source)).catch(() => undefined);
      if (!info) problem("--copy", `"${entry}": ${source} not found under ${root}`);
      else files.push({ source, target, type: info.isDirectory() ? "directory" : "file" });
    }
    let epilogue: string | undefined;
    if (flags.epilogue) {
      epilogue = await readFile(resolve(context.cwd, flags.epilogue), "utf8").catch(() => {
        problem(flags.epilogue!, "cannot read the epilogue");
        return undefined;
      });
    }
    if (problems.length > 0) throw new InputInvalidError({ problems, code: "DOCKERFILE_INPUT" });
    const text = await writeContainerDockerfile({
      path: output,
      name,
      arch,
      environmentDir,
      installTree: installTreeOf(environment),
      files,
      ...(epilogue !== undefined ? { epilogue } : {}),
      ...(flags.definition ? { definitionPath: flags.definition } : {}),
      strip: !flags["no-strip"],
    });
    if (flags.json) context.json({ output, bytes: Buffer.byteLength(text) });
    else context.log(`${PROGRAM}: wrote ${output}`);
    return 0;
  },
});

const uploadSifCommand = defineCommand({
  name: "upload-sif",
  summary: "upload a SIF to S3 with its metadata (multipart)",
  usage: "upload-sif --file F --bucket B --key K --metadata K=V… [--endpoint URL] [--access-key-var NAME]",
  details: "Credentials come from the env vars named by --access-key-var/--secret-key-var, never from argv.",
  flags: {
    file: { type: "string", description: "the SIF file", placeholder: "FILE", required: true },
    bucket: { type: "string", description: "bucket", placeholder: "BUCKET", required: true },
    key: { type: "string", description: "object key", placeholder: "KEY", required: true },
    metadata: {
      type: "string",
      multiple: true,
      description: "object metadata",
      placeholder: "K=V",
      parse: parseMetadata,
    },
    "part-size-mib": {
      type: "string",
      description: "multipart part size in MiB (min 5)",
      placeholder: "N",
      default: "64",
      parse: numberFlag({ ...SIF_PART_SIZE_MIB_RANGE, integer: true }),
    },
    ...s3Flags,
  },
  async run(context) {
    const flags = context.flags;
    const { bucket, key } = flags;
    const file = resolve(context.cwd, flags.file);
    const metadata = Object.fromEntries(flags.metadata);
    const s3 = s3Client(context, flags, true)!;
    try {
      let lastPercent = -1;
      const result = await uploadSif({
        s3,
        file,
        bucket,
        key,
        metadata,
        partSize: flags["part-size-mib"] * 1024 * 1024,
        onProgress: (loaded, total) => {
          const percent = total === 0 ? 100 : Math.floor((loaded / total) * 10) * 10;
          if (percent !== lastPercent) {
            lastPercent = percent;
            context.log(`${PROGRAM}: uploaded ${percent}%`);
          }
        },
      });
      if (flags.json) context.json(result);
      else context.log(`${PROGRAM}: uploaded ${result.size} bytes to s3://${bucket}/${key}`);
      return 0;
    } finally {
      s3.destroy();
    }
  },
});

const downloadSifCommand = defineCommand({
  name: "download-sif",
  summary: "download a SIF from S3 atomically (the site deploy job)",
  usage: "download-sif --bucket B --key K --file F [--record] [--endpoint URL]",
  flags: {
    bucket: { type: "string", description: "bucket", placeholder: "BUCKET", required: true },
    key: { type: "string", description: "object key", placeholder: "KEY", required: true },
    file: { type: "string", description: "destination file", placeholder: "FILE", required: true },
    record: {
      type: "boolean",
      description: "also write .<file>.metadata.json (bucket, key, size, metadata) for the site sync",
    },
    ...s3Flags,
  },
  async run(context) {
    const flags = context.flags;
    const { bucket, key } = flags;
    const file = resolve(context.cwd, flags.file);
    const s3 = s3Client(context, flags, true)!;
    try {
      const { size } = await downloadSif({ s3, bucket, key, file, record: flags.record });
      if (flags.json) context.json({ file, size });
      else context.log(`${PROGRAM}: wrote ${file} (${size} bytes)`);
      return 0;
    } finally {
      s3.destroy();
    }
  },
});

const baseTag = defineCommand({
  name: "base-tag",
  summary: "print the content-addressed tag (and checksum) of the base images",
  usage: "base-tag [--root DIR] [--name NAME] [--json]",
  flags: {
    root: {
      type: "string",
      description: "repository root holding images/",
      placeholder: "DIR",
      env: "CI_PROJECT_DIR",
    },
    name: {
      type: "string",
      description: "one base image (default: all three)",
      placeholder: "NAME",
      parse: parseBaseImageName,
    },
  },
  async run(context) {
    const root = resolve(context.cwd, context.flags.root ?? ".");
    const name = context.flags.name;
    const names = name ? [name] : [...BASE_IMAGE_NAMES];
    const images = [];
    for (const base of names) {
      try {
        images.push(await describeBaseImage({ root, name: base }));
      } catch (error) {
        throw new UsageError(
          `base-tag: cannot read images/${base} under ${root}: ${(error as Error).message}`,
        );
      }
    }
    if (context.flags.json) context.json(images.map(({ name, checksum, tag }) => ({ name, checksum, tag })));
    else for (const image of images) context.out(name ? `${image.tag}\n` : `${image.name} ${image.tag}\n`);
    return 0;
  },
});

/** The `spacktainers-image` CLI. */
export const cli: CliSpec = {
  name: PROGRAM,
  version: VERSION,
  description:
    "Decides which images to build, upload or push, writes container Dockerfiles, and moves SIF files to and from S3.",
  commands: [inspect, needsBuild, dockerfile, uploadSifCommand, downloadSifCommand, baseTag],
};
