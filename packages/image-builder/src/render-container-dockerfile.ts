import type { ContainerFile } from "@spacktainers/core";
import { writeFileAtomic } from "@spacktainers/core/node";

/** Where the environment lives in both stages. */
export const ENVIRONMENT_DIR = "/opt/spack-environment";
/** Root of the environment's view; Spack makes `view` a symlink into `/opt/views/._view/<hash>`. */
export const VIEW_ROOT = "/opt/views/view";
/** Install tree when the environment sets none (Spack's default under the builder's SPACK_ROOT). */
export const DEFAULT_INSTALL_TREE = "/opt/spack/opt/spack";

/** Build secrets the builder stage reads (optional: a public build cache needs none). */
export const BUILD_SECRETS = {
  accessKeyId: "aws_access_key_id",
  secretAccessKey: "aws_secret_access_key",
} as const;

export interface RenderContainerDockerfileOptions {
  /** Container name (for the header comment). */
  name: string;
  /** Architecture (for the header comment). */
  arch: string;
  /** The definition file, relative to the repository root (for the header comment). */
  definitionPath?: string;
  /**
   * Folder holding the concretized `spack.yaml` and `spack.lock`, relative to the build context
   * (the repository root), e.g. `spack-envs/amd64/brayns`.
   */
  environmentDir: string;
  /** `config.install_tree.root` of the environment (see {@link installTreeOf}). */
  installTree?: string;
  /** `files:` of the definition: sources relative to the repository root, absolute targets. */
  files?: readonly Pick<ContainerFile, "source" | "target" | "type">[];
  /** `Dockerfile.epilogue`, appended verbatim (comments included). */
  epilogue?: string;
  /**
   * Strip the view's ELF executables and shared libraries in the builder stage (before they are
   * copied: a later layer would not make the image smaller) and run ldconfig on the view's
   * library folders in the runtime stage. Default true (the original tool's ONBUILD did both).
   */
  strip?: boolean;
}

/**
 * Builder stage: strips every ELF executable or shared library (e_type 2 or 3) the view links
 * to, read by its magic bytes with `od` (no `file` needed). `--strip-unneeded` drops the symbol
 * table and debug sections but keeps what dynamic linking needs; static archives and object
 * files are left alone (stripping them breaks linking against them). Skipped, with a line in
 * the log, when the builder image has no `strip`.
 */
const STRIP_VIEW = [
  "# Strip the view's ELF executables and shared libraries before they are copied.",
  "RUN if command -v strip >/dev/null 2>&1; then \\",
  `        find -L ${VIEW_ROOT}/ -type f -exec realpath {} + 2>/dev/null | sort -u | while read -r file; do \\`,
  '            case "$(od -An -tx1 -N4 "$file" | tr -d \' \\n\')$(od -An -tx1 -j16 -N1 "$file" | tr -d \' \\n\')" in \\',
  '                7f454c4602|7f454c4603) strip --strip-unneeded "$file" || echo "strip: left $file as it is" ;; \\',
  "            esac; \\",
  "        done; \\",
  "    else \\",
  '        echo "no strip in the builder image: binaries left as they are"; \\',
  "    fi",
];

/**
 * Runtime stage: the view's library folders go to the dynamic linker's configuration and cache,
 * so programs not started through the view's environment still find its libraries. Skipped
 * when the runtime image has no ldconfig.
 */
const LDCONFIG_VIEW = [
  "# The view's libraries in the dynamic linker's cache.",
  "RUN if command -v ldconfig >/dev/null 2>&1; then \\",
  `        mkdir -p /etc/ld.so.conf.d && printf '%s\\n' ${VIEW_ROOT}/lib ${VIEW_ROOT}/lib64 > /etc/ld.so.conf.d/spacktainers-view.conf && ldconfig; \\`,
  "    else \\",
  '        echo "no ldconfig in the runtime image: the linker cache is left as it is"; \\',
  "    fi",
];

/** JSON-array form: paths with spaces or `$` stay literal. */
function copyLine(sources: string[], target: string, from?: string): string {
  return `COPY ${from ? `--from=${from} ` : ""}${JSON.stringify([...sources, target]).replace(/","/g, '", "')}`;
}

/**
 * The install tree of a Spack environment (`spack.config.install_tree`, a string in old Spack
 * or `{root}` in newer), or {@link DEFAULT_INSTALL_TREE}.
 */
export function installTreeOf(environment: unknown): string {
  const spack = (environment as { spack?: { config?: { install_tree?: unknown } } } | undefined)?.spack;
  const tree = spack?.config?.install_tree;
  if (typeof tree === "string" && tree.startsWith("/")) return tree.replace(/\/+$/, "");
  if (tree && typeof tree === "object") {
    const root = (tree as { root?: unknown }).root;
    if (typeof root === "string" && root.startsWith("/")) return root.replace(/\/+$/, "");
  }
  return DEFAULT_INSTALL_TREE;
}

/**
 * The Dockerfile of a Spack container: stage `builder` (FROM the builder image) installs the
 * concretized environment from the build cache only; the final stage (FROM the runtime image)
 * receives the install tree, the view and the activation script, then the `files:` and the
 * epilogue; unless `strip: false`, the view's binaries are stripped in the builder stage and its
 * libraries added to the linker cache in the runtime stage. Base images come in as build args, so the file does not depend on tags and the
 * labels (set by the build job) do not depend on the file. Written as a file, never echoed
 * line by line into a shell (the original dropped the epilogue's comment lines that way).
 */
export function renderContainerDockerfile(options: RenderContainerDockerfileOptions): string {
  const env = options.environmentDir.replace(/\/+$/, "") || ".";
  const installTree = options.installTree ?? DEFAULT_INSTALL_TREE;
  const strip = options.strip ?? true;
  const lines = [
    "# syntax=docker/dockerfile:1",
    `# Generated by spacktainers-image for container "${options.name}" (${options.arch})${options.definitionPath ? ` from ${options.definitionPath}` : ""}.`,
    "# Do not edit: change the definition and let the pipeline regenerate it.",
    "ARG BUILDER_IMAGE",
    "ARG RUNTIME_IMAGE",
    "",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile/shell variables, not JS
    "FROM ${BUILDER_IMAGE} AS builder",
    copyLine([`${env}/spack.yaml`, `${env}/spack.lock`], `${ENVIRONMENT_DIR}/`),
    `WORKDIR ${ENVIRONMENT_DIR}`,
    "# Install from the build cache only: the cache pipeline built and signed every package.",
    "# S3 credentials are optional build secrets (files under /run/secrets, never layers or args).",
    `RUN --mount=type=secret,id=${BUILD_SECRETS.accessKeyId} --mount=type=secret,id=${BUILD_SECRETS.secretAccessKey} \\`,
    `    if [ -f /run/secrets/${BUILD_SECRETS.accessKeyId} ]; then \\`,
    `        AWS_ACCESS_KEY_ID="$(cat /run/secrets/${BUILD_SECRETS.accessKeyId})" \\`,
    `        AWS_SECRET_ACCESS_KEY="$(cat /run/secrets/${BUILD_SECRETS.secretAccessKey})"; \\`,
    "        export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; \\",
    "    fi \\",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile/shell variables, not JS
    '    && . "${SPACK_ROOT}/share/spack/setup-env.sh" \\',
    `    && spack -e ${ENVIRONMENT_DIR} env view enable ${VIEW_ROOT} \\`,
    `    && spack -e ${ENVIRONMENT_DIR} install --cache-only --fail-fast \\`,
    `    && spack -e ${ENVIRONMENT_DIR} gc -y \\`,
    `    && spack env activate --sh -d ${ENVIRONMENT_DIR} > ${ENVIRONMENT_DIR}/z10_spack_environment.sh`,
    ...(strip ? STRIP_VIEW : []),
    "",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile/shell variables, not JS
    "FROM ${RUNTIME_IMAGE}",
    copyLine([ENVIRONMENT_DIR], ENVIRONMENT_DIR, "builder"),
    copyLine([installTree], installTree, "builder"),
    copyLine(["/opt/views"], "/opt/views", "builder"),
    copyLine(
      [`${ENVIRONMENT_DIR}/z10_spack_environment.sh`],
      "/etc/profile.d/z10_spack_environment.sh",
      "builder",
    ),
    // apptainer does not source /etc/profile.d: the view's bin must be on PATH in the image config.
    `ENV PATH=${VIEW_ROOT}/bin:\${PATH}`,
    ...(strip ? LDCONFIG_VIEW : []),
  ];
  const files = options.files ?? [];
  if (files.length > 0) {
    lines.push("", "# files: of the definition");
    for (const file of files) {
      const source = file.type === "directory" ? `${file.source.replace(/\/+$/, "")}/` : file.source;
      const target = file.type === "directory" ? `${file.target.replace(/\/+$/, "")}/` : file.target;
      lines.push(copyLine([source], target));
    }
  }
  let text = `${lines.join("\n")}\n`;
  if (options.epilogue !== undefined && options.epilogue.trim() !== "") {
    const epilogue = options.epilogue.endsWith("\n") ? options.epilogue : `${options.epilogue}\n`;
    text += `\n# Dockerfile.epilogue of ${options.name}, verbatim:\n${epilogue}`;
  }
  return text;
}

export interface WriteContainerDockerfileOptions extends RenderContainerDockerfileOptions {
  /** Where to write it (atomically: temp file + rename). */
  path: string;
}

/** Renders the Dockerfile and writes it atomically; returns its text. */
export async function writeContainerDockerfile(options: WriteContainerDockerfileOptions): Promise<string> {
  const text = renderContainerDockerfile(options);
  await writeFileAtomic(options.path, text);
  return text;
}
