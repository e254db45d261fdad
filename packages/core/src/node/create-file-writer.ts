import { writeFileSync } from "node:fs";

/**
 * A function that writes files one after another, encoding each text into one buffer kept from
 * file to file. `writeFile(path, text)` encodes every text into a fresh buffer, and fresh memory
 * is not free: where the first touch of a page costs microseconds (about 16 µs per 4 KiB on a
 * small VM), the split's 7 MB of chunk files took about 2,500 page faults to write, and this
 * takes about 200. The buffer grows to the largest file and is dropped with the function.
 *
 * It writes synchronously: its callers (a bin writing its output) do nothing else meanwhile,
 * and each asynchronous open, write and close was a round trip through libuv's thread pool
 * during which the process sat idle.
 */
export function createFileWriter(): (path: string, data: string | Uint8Array) => void {
  let scratch = Buffer.alloc(0);
  const encode = (text: string): Uint8Array => {
    const size = Buffer.byteLength(text);
    if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
    return scratch.subarray(0, scratch.write(text));
  };
  return (path, data) => writeFileSync(path, typeof data === "string" ? encode(data) : data);
}
