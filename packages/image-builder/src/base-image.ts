import { join } from "node:path";
import { baseImageTag, treeChecksum } from "@spacktainers/core";
import { readChecksumEntries } from "@spacktainers/core/node";
import type { BaseImageName } from "./labels.js";

/** A base image's content address. */
export type BaseImageIdentity = {
  /** `builder`, `runtime` or `singularitah`. */
  name: BaseImageName;
  /** Tree checksum of every file of `images/<name>/` (relative path + bytes, sorted). */
  checksum: string;
  /** First 12 hex of the checksum. */
  tag: string;
  /** Files that went into the checksum, relative to the folder. */
  files: string[];
};

export interface DescribeBaseImageOptions {
  /** Repository root (the folder holding `images/`). */
  root: string;
  /** Which base image. */
  name: BaseImageName;
}

/**
 * Checksum and tag of a base image from its folder. Computed once per pipeline and passed down
 * (content-addressed: a pipeline crossing midnight never references a missing tag).
 */
export async function describeBaseImage({
  root,
  name,
}: DescribeBaseImageOptions): Promise<BaseImageIdentity> {
  const entries = await readChecksumEntries(join(root, "images", name));
  if (entries.length === 0) throw new Error(`images/${name}/ holds no file`);
  const checksum = treeChecksum(entries);
  return { name, checksum, tag: baseImageTag(checksum), files: entries.map((entry) => entry.path) };
}
