import { formatProblem } from "@spacktainers/core";
import type { PruneResult } from "./apply-prune.js";
import type { PrunePlan } from "./plan-prune.js";

/** Bytes in binary units, one decimal (`1.5 MiB`). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd(),
  );
}

/** The human summary of a plan: one row per reason with counts and bytes. */
export function formatPlan(plan: PrunePlan): string[] {
  const lines = [
    `Build cache ${plan.location} (layout ${plan.layout}): ${plan.inventory.objects} objects, ${formatBytes(plan.inventory.bytes)}, ${plan.inventory.specs} specs; index ${plan.index.status}${plan.index.hash && plan.index.hash !== "ok" ? ` (its hash is ${plan.index.hash}; --apply repairs it)` : ""}.`,
  ];
  if (plan.listing.status === "incomplete") {
    lines.push(`STOP: ${plan.listing.message}`);
    lines.push(
      "--apply deletes nothing while the listing looks incomplete; the plan below is what the listing claims.",
    );
  } else if (plan.listing.heads > 0)
    lines.push(
      `Listing checked: ${plan.listing.heads} object(s) asked for one by one confirm every absence a deletion rests on.`,
    );
  if (plan.deletions.length === 0) lines.push("Nothing to delete.");
  else {
    const rows = [["reason", "specs", "objects", "bytes"]];
    for (const row of plan.summary)
      rows.push([row.reason, String(row.specs), String(row.objects), formatBytes(row.bytes)]);
    rows.push([
      "total",
      String(plan.totals.specs),
      String(plan.totals.objects),
      formatBytes(plan.totals.bytes),
    ]);
    lines.push(...table(rows));
    lines.push(
      `That is ${(plan.safety.deleteFraction * 100).toFixed(1)}% of the objects${plan.safety.exceeded ? `, more than --max-delete-fraction ${plan.safety.maxDeleteFraction}: --apply refuses without --force` : ""}.`,
    );
  }
  if (plan.protected.length > 0) {
    lines.push(`Protected (kept although a rule selected them): ${plan.protected.length} spec(s).`);
    for (const kept of plan.protected.slice(0, 10))
      lines.push(`  ${kept.spec ?? kept.hash}  would be ${kept.wouldBe}`);
    if (plan.protected.length > 10) lines.push(`  … and ${plan.protected.length - 10} more (see --report)`);
  }
  if (plan.republished.length > 0)
    lines.push(
      `${plan.republished.length} whole spec(s) the index marks as not in the cache (an interrupted run) are listed again by --apply.`,
    );
  for (const warning of plan.warnings) lines.push(`warning: ${formatProblem(warning)}`);
  return lines;
}

/** The human summary of an applied prune. */
export function formatResult(result: PruneResult): string[] {
  const lines = [`Deleted ${result.deleted.length} object(s).`];
  const { index } = result;
  if (index.status === "rewritten")
    lines.push(
      `Index rewritten without ${index.removedSpecs} deleted spec(s)${index.republishedSpecs ? `, listing ${index.republishedSpecs} whole spec(s) again` : ""} (unpublished before the deletes, final after): ${[...new Set(index.written)].join(", ")}.`,
    );
  else if (index.status === "hash-repaired")
    lines.push(`Index hash repaired: ${index.written.join(", ")} holds the sha256 of the index again.`);
  else if (index.status === "skipped") lines.push(`Index not rewritten: ${index.message}`);
  if (result.failed.length > 0) {
    lines.push(`${result.failed.length} object(s) could not be deleted after retries:`);
    for (const failure of result.failed.slice(0, 20))
      lines.push(`  ${failure.key}: ${failure.code} ${failure.message}`.trimEnd());
    if (result.failed.length > 20) lines.push(`  … and ${result.failed.length - 20} more (see --report)`);
  }
  return lines;
}
