import { CONTAINER_NAME_PATTERN, TAG_SEPARATOR, UNSUFFIXED_ARCH } from "./names.js";
import { naturalCompare } from "./natural-compare.js";

/**
 * Reading SIF file names, beside their writing in `names.ts` (`sifFileName`, the tag rules):
 * the removal of stale SIFs must read exactly what the builds write.
 */

/**
 * Architecture names a custom container's tag may end with besides the configured ones: an arch
 * removed from the site config still has SIFs in the bucket, and reading
 * `<name>__<tag>__ppc64le.sif` as a branch named `ppc64le` would delete a prod SIF.
 */
export const KNOWN_ARCHITECTURES: readonly string[] = [
  "amd64",
  "arm64",
  "x86_64",
  "aarch64",
  "ppc64le",
  "riscv64",
  "s390x",
];

/** What `slugifyRef` can produce: `[0-9a-z-]`, 1–63 characters, no `-` at either end. */
const SLUG_PATTERN = /^[0-9a-z](?:[0-9a-z-]{0,61}[0-9a-z])?$/;

/** One way to read a SIF file name. */
type SifNameForm =
  | { form: "spack-prod" }
  | { form: "custom-prod" }
  | { form: "spack-branch"; slugs: string[] }
  | { form: "custom-branch"; slugs: string[] };

/** What a SIF file name says, after weighing every way to read it. */
export type SifNameReading =
  /** No slug in any reading: a default-branch SIF. */
  | { kind: "prod"; container: string }
  /** Every reading carries a branch slug; `slugs` are the candidates (a Spack tag `<v>__a-arm64` is branch `a-arm64` on amd64 or `a` on arm64). */
  | { kind: "branch"; container: string; slugs: string[] }
  /** Readable both as a prod SIF and as a branch SIF: kept. */
  | { kind: "ambiguous"; container: string; slugs: string[]; detail: string }
  /** Not a `<name>__<tag>.sif` spacktainers ever writes. */
  | { kind: "unrecognised"; detail: string };

export interface ReadSifNameOptions {
  /** File name relative to the containers prefix, e.g. `app__1.2__feature-x-arm64.sif`. */
  fileName: string;
  /** Architecture names a tag may end with (configured ones plus {@link KNOWN_ARCHITECTURES}). */
  architectures: readonly string[];
  /**
   * Treat `__` as never part of a custom container's source tag. Docker allows `__` in tags, so
   * `<name>__<a>__<b>__<arch>.sif` may be the prod SIF of source tag `a__b` as well as the SIF of
   * branch `b`; such names are kept unless this is set. Default false.
   */
  assumeTagsWithoutSeparator?: boolean;
}

/** Slugs a Spack tag's last part may stand for: itself on amd64, or without `-<arch>` elsewhere. */
function spackSlugCandidates(tail: string, architectures: readonly string[]): string[] {
  const slugs = new Set<string>();
  if (SLUG_PATTERN.test(tail)) slugs.add(tail);
  for (const arch of architectures) {
    if (arch === UNSUFFIXED_ARCH || !tail.endsWith(`-${arch}`)) continue;
    const slug = tail.slice(0, -arch.length - 1);
    if (SLUG_PATTERN.test(slug)) slugs.add(slug);
  }
  return [...slugs].sort(naturalCompare);
}

/** The `__`-separated parts of a SIF file name, without `.sif`: `[name, …tag parts]`. */
export function sifNameParts(fileName: string): string[] {
  return fileName.slice(0, -".sif".length).split(TAG_SEPARATOR);
}

/**
 * Reads a SIF file name with the naming rules of core (container tags and SIF names):
 * Spack `<name>__<version>[__<slug>][-<arch>]`, custom `<name>__<sourceTag>[__<slug>]__<arch>`.
 * It assumes what those rules cannot express: container names and Spack versions hold no `__`
 * (names are single path components; Spack versions never use `__`). Every reading the name
 * allows is considered; a name readable as a prod SIF is never called a branch SIF. (The
 * original split on `__` and took `branch.sif` as the branch, so every branch SIF looked stale.)
 */
export function readSifName({
  fileName,
  architectures,
  assumeTagsWithoutSeparator = false,
}: ReadSifNameOptions): SifNameReading {
  if (!fileName.endsWith(".sif")) return { kind: "unrecognised", detail: "not a .sif file" };
  if (fileName.includes("/")) return { kind: "unrecognised", detail: "in a sub-folder of the prefix" };
  const parts = sifNameParts(fileName);
  const container = parts[0]!;
  if (parts.length < 2 || parts.some((part) => part === "") || !CONTAINER_NAME_PATTERN.test(container))
    return { kind: "unrecognised", detail: "not <name>__<tag>.sif" };
  const last = parts.at(-1)!;
  const endsWithArch = architectures.includes(last);
  const forms: SifNameForm[] = [];
  if (parts.length === 2) forms.push({ form: "spack-prod" });
  // `<name>__<tag>__<arch>` is a custom prod SIF; reading it also as the Spack SIF of a branch
  // named exactly like an architecture adds nothing but noise (it is kept either way).
  if (parts.length === 3 && !endsWithArch) {
    const slugs = spackSlugCandidates(last, architectures);
    if (slugs.length > 0) forms.push({ form: "spack-branch", slugs });
  }
  // A source tag with `__` in it spans several parts.
  const tagMaySpan = !assumeTagsWithoutSeparator;
  if (endsWithArch && (parts.length === 3 || (parts.length > 3 && tagMaySpan)))
    forms.push({ form: "custom-prod" });
  if (
    endsWithArch &&
    SLUG_PATTERN.test(parts.at(-2)!) &&
    (parts.length === 4 || (parts.length > 4 && tagMaySpan))
  )
    forms.push({ form: "custom-branch", slugs: [parts.at(-2)!] });

  if (forms.length === 0) return { kind: "unrecognised", detail: "matches no spacktainers tag form" };
  const slugs = [...new Set(forms.flatMap((form) => ("slugs" in form ? form.slugs : [])))].sort(
    naturalCompare,
  );
  if (slugs.length === 0) return { kind: "prod", container };
  if (forms.every((form) => "slugs" in form)) return { kind: "branch", container, slugs };
  const names = forms.map((form) => form.form).join(" or ");
  return { kind: "ambiguous", container, slugs, detail: `readable as ${names}` };
}
