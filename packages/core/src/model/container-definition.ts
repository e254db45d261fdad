import type { SourceLocation } from "../errors/spacktainers-error.js";

/** A file or folder copied into a container image (`files:` entry `"<source>:<target>"`). */
export type ContainerFile = {
  /** Source, relative to the repository root, always inside `files/` (e.g. `files/brayns/run.sh`). */
  source: string;
  /** Absolute target path inside the image. */
  target: string;
  /** Whether the source is a single file or a folder copied recursively. */
  type: "file" | "directory";
  /** Where the entry was written, for messages. */
  location: SourceLocation;
};

/** A registry image reference parsed from a `.def` file's `From:` line. */
export type ImageReference = {
  /** Registry host with optional port (`registry.example.org:5050`); absent means Docker Hub. */
  registry?: string;
  /** Repository path (`bluebrain/nexus-storage`). */
  repository: string;
  /** Tag; `latest` when none was given. With only a digest given, also `latest` (not pulled by tag). */
  tag: string;
  /** `sha256:…` digest, when the reference pins one. */
  digest?: string;
  /** The reference as written after `From:`. */
  original: string;
};

/** What every container definition has. */
type DefinitionBase = {
  /** Container name: file stem or folder name, matching `^[a-z0-9][a-z0-9._-]*$` without `__`. */
  name: string;
  /** Architecture folder it was found in. */
  arch: string;
  /** The definition file, relative to the repository root. */
  path: string;
  /** Container checksum over the definition, epilogue and copied files. */
  checksum: string;
  /** Files that went into the checksum, relative to the repository root, sorted. */
  checksumInputs: string[];
};

/** A container built from a Spack environment (file form or folder form). */
export type SpackContainerDefinition = DefinitionBase & {
  /** Discriminant. */
  kind: "spack";
  /** `file`: `<arch>/<name>.yaml`; `folder`: `<arch>/<name>/spack.yaml`. */
  form: "file" | "folder";
  /** The definition's `spack:` section, as written (merged with the template later). */
  spack: Record<string, unknown>;
  /** The spec strings of `spack.specs`, in order. */
  specs: string[];
  /** Name of the package of the first spec; its version becomes the image version. */
  mainPackage: string;
  /** Files and folders copied into the image. */
  files: ContainerFile[];
  /** Text of `Dockerfile.epilogue`, appended verbatim to the generated Dockerfile. */
  epilogue?: string;
  /**
   * Strip the ELF executables and shared libraries of the view and run ldconfig on its library
   * folders (`spacktainer: strip:`). Default true.
   */
  strip: boolean;
};

/** A container wrapping a registry image through a Singularity `.def` file. */
export type CustomContainerDefinition = DefinitionBase & {
  /** Discriminant. */
  kind: "custom";
  /** Always `def`. */
  form: "def";
  /** The image of the `From:` line. */
  source: ImageReference;
  /** The `.def` file's text. */
  text: string;
};

/** Any container definition. */
export type ContainerDefinition = SpackContainerDefinition | CustomContainerDefinition;
