import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT, runBin } from "@spacktainers/test-utils";
import { expect, test } from "vitest";

const MARKER = /<!-- generated: pnpm -s spacktainers graph([^>]*?) -->\n```mermaid\n([\s\S]*?)```/g;

async function docs(): Promise<Array<{ path: string; text: string }>> {
  const names = (await readdir(join(REPO_ROOT, "docs"))).filter((name) => name.endsWith(".md")).sort();
  return Promise.all(
    names.map(async (name) => ({
      path: `docs/${name}`,
      text: await readFile(join(REPO_ROOT, "docs", name), "utf8"),
    })),
  );
}

test("every graph in docs/ is what `spacktainers graph` prints for the repository (pnpm docs:graphs)", async () => {
  const found: string[] = [];
  const stale: string[] = [];
  for (const { path, text } of await docs()) {
    for (const [, flags, block] of text.matchAll(MARKER)) {
      const args = flags!.trim() ? flags!.trim().split(/\s+/) : [];
      found.push(`${path}: graph ${args.join(" ")}`.trimEnd());
      const result = await runBin("orchestrator", ["graph", ...args], { cleanEnv: true });
      expect(result.code).toBe(0);
      if (result.stdout !== block) stale.push(`${path}: graph ${args.join(" ")}`);
    }
  }
  expect(found).toEqual([
    "docs/architecture.md: graph",
    "docs/getting-started.md: graph",
    "docs/getting-started.md: graph --merge-request",
  ]);
  expect(stale).toEqual([]);
});

test("the docs, READMEs and .gitlab-ci.yml cite no document outside the repository", async () => {
  const files = [
    ...(await docs()),
    { path: "README.md", text: await readFile(join(REPO_ROOT, "README.md"), "utf8") },
    { path: ".gitlab-ci.yml", text: await readFile(join(REPO_ROOT, ".gitlab-ci.yml"), "utf8") },
  ];
  for (const name of await readdir(join(REPO_ROOT, "packages")))
    files.push({
      path: `packages/${name}/README.md`,
      text: await readFile(join(REPO_ROOT, "packages", name, "README.md"), "utf8"),
    });
  const citations = files.flatMap(({ path, text }) =>
    text
      .split("\n")
      .map((line, index) => ({ line, index }))
      .filter(({ line }) => /DESIGN(\.md| §)/.test(line))
      .map(({ index }) => `${path}:${index + 1}`),
  );
  expect(citations).toEqual([]);
});
