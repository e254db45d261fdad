/**
 * `@spacktainers/core/node`: the few Node.js helpers every bin shares (atomic writes, file
 * listing for checksums, the process runner of a CLI). The main entry stays free of I/O; the
 * network clients (S3, HTTP dispatcher) are in `core/net`.
 */

export { createFileWriter } from "./node/create-file-writer.js";
export { listFilesRecursive, readChecksumEntries } from "./node/list-files.js";
export { proxyFor } from "./node/proxy-for.js";
export type { ReadInputFileOptions, ReadInputFileResult } from "./node/read-input-file.js";
export { isInsideFolder, readInputFile } from "./node/read-input-file.js";
export type { ReplaceDirectoryOptions } from "./node/replace-directory.js";
export { OUTPUT_MARKER_FILE, replaceDirectory } from "./node/replace-directory.js";
export { runCliProcess } from "./node/run-cli-process.js";
export type { SwapInDirectoryOptions } from "./node/swap-in-directory.js";
export { swapInDirectory } from "./node/swap-in-directory.js";
export { writeFileAtomic, writeFilesAtomic } from "./node/write-file-atomic.js";
