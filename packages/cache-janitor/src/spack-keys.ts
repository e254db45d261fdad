import type { DatabaseRecord } from "./spack-database.js";

/**
 * Object keys of a spec in Spack's build-cache layouts, derived from what the janitor knows of
 * it (an index record, or a sibling key), so that an absence the listing suggests can be asked
 * of the store object by object.
 *
 * Layout v2 (Spack ≤ 0.23, `binary_distribution.tarball_name` / `tarball_directory_name`):
 *   spec file `build_cache/<arch>-<compiler>-<name>-<version>-<hash>.spec.json[.sig]` (`.spec.yaml`
 *   before 0.19), tarball `build_cache/<arch>/<compiler>/<name>-<version>/<same base>.spack`,
 *   with `<arch>` = `<platform>-<os>-<target>` and `<compiler>` = `<name>-<version>`.
 * Layout v3 (Spack 1.x): `v3/manifests/spec/<name>/<name>-<version>-<hash>.spec.manifest.json`.
 */

/** The spec-file suffixes a v2 spec may have, newest first. */
export const V2_SPEC_SUFFIXES = [".spec.json.sig", ".spec.json", ".spec.yaml"] as const;

type RecordSpec = DatabaseRecord["spec"] & {
  arch?: { platform?: string; platform_os?: string; target?: string | { name?: string } };
  compiler?: { name?: string; version?: string };
};

/** `<arch>`, `<compiler>`, name and version of a v2 spec from its index record, when the record has them. */
function v2Parts(record: DatabaseRecord | undefined) {
  const spec = record?.spec as RecordSpec | undefined;
  const target = typeof spec?.arch?.target === "string" ? spec.arch.target : spec?.arch?.target?.name;
  if (!spec?.arch?.platform || !spec.arch.platform_os || !target) return undefined;
  if (!spec.compiler?.name || !spec.compiler.version || spec.version === undefined) return undefined;
  return {
    arch: `${spec.arch.platform}-${spec.arch.platform_os}-${target}`,
    compiler: `${spec.compiler.name}-${spec.compiler.version}`,
    nameVersion: `${spec.name}-${spec.version}`,
  };
}

/** The v2 spec-file keys a spec of this index record may have (every suffix), or none when the record lacks the parts. */
export function v2SpecFileKeysOfRecord(hash: string, record: DatabaseRecord | undefined): string[] {
  const parts = v2Parts(record);
  if (!parts) return [];
  const base = `${parts.arch}-${parts.compiler}-${parts.nameVersion}-${hash}`;
  return V2_SPEC_SUFFIXES.map((suffix) => `build_cache/${base}${suffix}`);
}

/** The v2 spec-file keys (every suffix) that go with a tarball key. */
export function v2SpecFileKeysOfTarball(tarballKey: string): string[] {
  const base = tarballKey.slice(tarballKey.lastIndexOf("/") + 1).replace(/\.spack$/, "");
  return V2_SPEC_SUFFIXES.map((suffix) => `build_cache/${base}${suffix}`);
}

/**
 * The tarball keys a v2 spec file may go with. With an index record whose parts rebuild the spec
 * file's own name, the one key; else every way to cut `<arch>-<compiler>-<name>-<version>` at
 * its dashes into the three folders (a few dozen at most), so that no possible partner is missed.
 */
export function v2TarballKeysOfSpecFile(specKey: string, record: DatabaseRecord | undefined): string[] {
  const file = specKey.slice("build_cache/".length);
  const suffix = V2_SPEC_SUFFIXES.find((candidate) => file.endsWith(candidate));
  if (!suffix) return [];
  const base = file.slice(0, -suffix.length);
  const parts = v2Parts(record);
  if (parts && base.startsWith(`${parts.arch}-${parts.compiler}-${parts.nameVersion}-`))
    return [`build_cache/${parts.arch}/${parts.compiler}/${parts.nameVersion}/${base}.spack`];
  const tokens = base.split("-").slice(0, -1);
  const keys: string[] = [];
  for (let archEnd = 1; archEnd < tokens.length - 1; archEnd++)
    for (let compilerEnd = archEnd + 1; compilerEnd < tokens.length; compilerEnd++)
      keys.push(
        `build_cache/${tokens.slice(0, archEnd).join("-")}/${tokens.slice(archEnd, compilerEnd).join("-")}/${tokens.slice(compilerEnd).join("-")}/${base}.spack`,
      );
  return keys;
}

/** The v3 spec manifest key of an index record. */
export function v3ManifestKeyOfRecord(hash: string, record: DatabaseRecord | undefined): string[] {
  const spec = record?.spec;
  if (!spec?.name || spec.version === undefined) return [];
  return [`v3/manifests/spec/${spec.name}/${spec.name}-${spec.version}-${hash}.spec.manifest.json`];
}
