import { readdir } from "node:fs/promises";
import type { PrunePlan } from "../src/index.js";

/** The deletions of a plan as `reason file-name` lines (file names are unique in the fixtures). */
export function deletionLines(plan: PrunePlan): string[] {
  return plan.deletions.map((deletion) => `${deletion.reason} ${deletion.key.split("/").pop()}`);
}

/** Every file under a folder, relative, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => `${entry.parentPath.slice(dir.length + 1)}/${entry.name}`.replace(/^\//, ""))
    .sort();
}

/** Every folder under a folder, relative, sorted. */
export async function listFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${entry.parentPath.slice(dir.length + 1)}/${entry.name}`.replace(/^\//, ""))
    .sort();
}

export const NOW = new Date("2026-03-01T00:00:00Z");
export const OLD = new Date("2025-06-01T00:00:00Z");

/** Hashes of the 0.19.0 signed cache. */
export const V019 = {
  bzip2: "tqqloiq4svlxsxqgwiwnvgeuesxerft7",
  app: "kbvflog4oalvbnij4rgyqgbhmwzs3wtb",
  hello: "s6ogqylmombycmio2go5s7lzhbalbycf",
  zlib: "goi3uexjll6zt45t5vooa7jpynf5cceb",
} as const;

/** Keys of a 0.19-style v2 spec (spec file and tarball). */
export function v2Keys(stem: string, hash: string, signed = true): [string, string] {
  const [name, version] = [stem.replace(/-[\d.]+$/, ""), stem.replace(/^.*-/, "")];
  const base = `linux-debian12-x86_64-gcc-12.2.0-${name}-${version}-${hash}`;
  return [
    `build_cache/${base}.spec.json${signed ? ".sig" : ""}`,
    `build_cache/linux-debian12-x86_64/gcc-12.2.0/${name}-${version}/${base}.spack`,
  ];
}

/** Hashes of the 1.0.2 caches. */
export const V102 = {
  compilerWrapper: "4fghq5ibtjw6ag4knvkpnmu2cdp3bamt",
  app: "6aiy7iplw5jknw77vopd6nwuexerylxq",
  hello: "i5frtbpwrwgkdxxet6b7yst27zpo72rn",
  gccRuntime: "t4jgfqwgx7ejs6v2s5sixx2bzsccsjbp",
  zlib: "mgowe23us2ms6sm5pk343rbrny3quz7g",
} as const;
