/**
 * Upper bounds on what spacktainers reads from a repository. Each is far above any real input
 * (the reference's largest definition is 2 KB with 40 specs; its site config 5 KB) and exists
 * so that a runaway or hostile file fails fast with a message instead of exhausting memory
 * (a definition with 1.5 million specs once took 2.2 GB).
 */
export const INPUT_LIMITS = {
  /** Bytes of a YAML file of the repository: site config, definition, `spacktainer.yaml`, `.gitlab-ci.yml`. */
  yamlFileBytes: 1024 * 1024,
  /** Bytes of a text file copied verbatim: a `.def` file, a `Dockerfile.epilogue`. */
  textFileBytes: 1024 * 1024,
  /** Alias nodes (`*name`) in one YAML document. */
  yamlAliases: 1000,
  /** Values that aliases add to one YAML document once expanded (the "billion laughs" guard). */
  yamlAliasExpansion: 100_000,
  /** Specs in one container definition. */
  specsPerContainer: 5000,
} as const;

/** `1048576` → `1 MiB`, `2500` → `2.4 KiB`: sizes in messages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
