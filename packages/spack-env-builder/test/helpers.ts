import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CiContext,
  type CustomContainerDefinition,
  parseSiteConfig,
  readCiContext,
  type SiteConfig,
  type SpackContainerDefinition,
} from "@spacktainers/core";

/** Folder of this package's fixtures. */
export const FIXTURES = join(import.meta.dirname, "../__fixtures__");

/** The fixture repository (reference definitions + a site config built from the reference template). */
export const FIXTURE_REPO = join(FIXTURES, "repo");

/** Text and parsed value of the fixture site config. */
export function fixtureConfig(): { text: string; config: SiteConfig } {
  const text = readFileSync(join(FIXTURE_REPO, "container_definitions/spacktainers.yaml"), "utf8");
  const { value, problems } = parseSiteConfig({ text });
  if (!value) throw new Error(`fixture config invalid: ${JSON.stringify(problems)}`);
  return { text, config: value };
}

/** A Spack container definition as the definitions parser returns it. */
export function spackDefinition(
  overrides: Partial<SpackContainerDefinition> & { name: string; spack: Record<string, unknown> },
): SpackContainerDefinition {
  const arch = overrides.arch ?? "amd64";
  const specs = (overrides.spack.specs as string[] | undefined) ?? [];
  return {
    kind: "spack",
    form: "file",
    arch,
    path: `container_definitions/${arch}/${overrides.name}.yaml`,
    checksum: "c".repeat(64),
    checksumInputs: [`container_definitions/${arch}/${overrides.name}.yaml`],
    specs,
    mainPackage: specs[0]?.split(/[@%^+~\s]/)[0] ?? overrides.name,
    files: [],
    strip: true,
    ...overrides,
  };
}

/** A custom (.def) container definition. */
export function customDefinition(
  overrides: Partial<CustomContainerDefinition> & { name: string },
): CustomContainerDefinition {
  const arch = overrides.arch ?? "amd64";
  return {
    kind: "custom",
    form: "def",
    arch,
    path: `container_definitions/${arch}/${overrides.name}.def`,
    checksum: "d".repeat(64),
    checksumInputs: [`container_definitions/${arch}/${overrides.name}.def`],
    source: {
      repository: "bluebrain/nexus-storage",
      tag: "v1.9.0",
      original: "bluebrain/nexus-storage:v1.9.0",
    },
    text: "Bootstrap: docker\nFrom: bluebrain/nexus-storage:v1.9.0\n",
    ...overrides,
  };
}

/** A fixed time for labels. */
export const NOW = new Date("2026-11-28T12:00:00.000Z");

/** CI context of a pipeline on the default branch. */
export function prodContext(): CiContext {
  return readCiContext({
    env: {
      CI: "true",
      CI_COMMIT_REF_NAME: "main",
      CI_DEFAULT_BRANCH: "main",
      CI_COMMIT_REF_SLUG: "main",
      CI_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
      CI_PROJECT_URL: "https://gitlab.example.org/hpc/spacktainers",
      CI_REGISTRY_IMAGE: "registry.example.org:5050/hpc/spacktainers",
    },
    now: NOW,
  });
}

/** CI context of a pipeline on a feature branch. */
export function branchContext(): CiContext {
  return readCiContext({
    env: {
      CI: "true",
      CI_COMMIT_REF_NAME: "feature/New-Arch",
      CI_DEFAULT_BRANCH: "main",
      CI_COMMIT_REF_SLUG: "feature-new-arch",
      CI_COMMIT_SHA: "89abcdef0123456789abcdef0123456789abcdef",
      CI_PROJECT_URL: "https://gitlab.example.org/hpc/spacktainers",
      CI_REGISTRY_IMAGE: "registry.example.org:5050/hpc/spacktainers",
    },
    now: NOW,
  });
}
