#!/usr/bin/env node
// `pnpm docs:graphs`: rewrites every Mermaid block in docs/ that follows a marker line
// `<!-- generated: pnpm -s spacktainers graph [flags] -->` with that command's output.
// packages/orchestrator/test/docs.test.ts fails when a block differs from it.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MARKER = /(<!-- generated: pnpm -s spacktainers graph([^>]*?) -->\n```mermaid\n)[\s\S]*?(```)/g;
for (const name of readdirSync("docs").filter((file) => file.endsWith(".md"))) {
  const path = join("docs", name);
  const text = readFileSync(path, "utf8");
  const updated = text.replace(MARKER, (_, head, flags, tail) => {
    const args = flags.trim() ? flags.trim().split(/\s+/) : [];
    const graph = execFileSync("pnpm", ["-s", "spacktainers", "graph", ...args], { encoding: "utf8" });
    return `${head}${graph}${tail}`;
  });
  if (updated !== text) {
    writeFileSync(path, updated);
    process.stderr.write(`docs:graphs: updated ${path}\n`);
  }
}
