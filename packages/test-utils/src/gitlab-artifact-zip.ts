import * as zlib from "node:zlib";

/**
 * A tiny ZIP writer for GitLab artifact archives in tests (yauzl only reads). It writes any
 * entry name verbatim — `../evil`, `/etc/x` — and symlink entries, which real zip tools refuse
 * to produce, so tests can check that the gatherer refuses them.
 */

/** One entry of a test archive. */
export type ArtifactZipEntry = {
  /** Name stored in the archive, verbatim (no normalisation: `../x` stays `../x`). */
  name: string;
  /** File content; omit for a directory (name ending with `/`). */
  data?: Uint8Array | string;
  /** Store a symlink pointing at this target (Unix mode 120777). */
  symlink?: string;
  /** Deflate instead of store (default: store). */
  deflate?: boolean;
};

/** A generated entry of a streamed archive: `size` bytes of a repeating pattern. */
export type GeneratedZipEntry = { name: string; size: number };

const table = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ZIP polynomial), continuing from `previous`. Uses zlib's native one when present (Node ≥ 20.15). */
export function crc32(data: Uint8Array, previous = 0): number {
  const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native) return native(data, previous);
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// 1980-01-01 00:00 in DOS format: deterministic archives.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const UTF8_FLAG = 0x0800;
const DATA_DESCRIPTOR_FLAG = 0x0008;

type Header = {
  name: Buffer;
  method: number;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  mode: number;
};

function localHeader(h: Header): Buffer {
  const b = Buffer.alloc(30);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt16LE(h.flags, 6);
  b.writeUInt16LE(h.method, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(h.flags & DATA_DESCRIPTOR_FLAG ? 0 : h.crc, 14);
  b.writeUInt32LE(h.flags & DATA_DESCRIPTOR_FLAG ? 0 : h.compressed, 18);
  b.writeUInt32LE(h.flags & DATA_DESCRIPTOR_FLAG ? 0 : h.size, 22);
  b.writeUInt16LE(h.name.length, 26);
  b.writeUInt16LE(0, 28);
  return Buffer.concat([b, h.name]);
}

function centralHeader(h: Header, offset: number): Buffer {
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so external attributes carry the mode
  b.writeUInt16LE(20, 6);
  b.writeUInt16LE(h.flags, 8);
  b.writeUInt16LE(h.method, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(h.crc, 16);
  b.writeUInt32LE(h.compressed, 20);
  b.writeUInt32LE(h.size, 24);
  b.writeUInt16LE(h.name.length, 28);
  b.writeUInt32LE((h.mode << 16) >>> 0, 38);
  b.writeUInt32LE(offset, 42);
  return Buffer.concat([b, h.name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const b = Buffer.alloc(22);
  b.writeUInt32LE(0x06054b50, 0);
  b.writeUInt16LE(count, 8);
  b.writeUInt16LE(count, 10);
  b.writeUInt32LE(size, 12);
  b.writeUInt32LE(offset, 16);
  return b;
}

/** Builds a ZIP archive in memory (small test archives). */
export function createArtifactZip(entries: readonly ArtifactZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const isDirectory = entry.data === undefined && entry.symlink === undefined;
    const raw = Buffer.from(entry.symlink ?? entry.data ?? "");
    const body = entry.deflate ? zlib.deflateRawSync(raw) : raw;
    const header: Header = {
      name: Buffer.from(entry.name),
      method: entry.deflate ? 8 : 0,
      flags: UTF8_FLAG,
      crc: crc32(raw),
      compressed: body.length,
      size: raw.length,
      mode: entry.symlink !== undefined ? 0o120777 : isDirectory ? 0o40755 : 0o100644,
    };
    const local = localHeader(header);
    central.push(centralHeader(header, offset));
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const directory = Buffer.concat(central);
  return Buffer.concat([
    ...parts,
    directory,
    endOfCentralDirectory(entries.length, directory.length, offset),
  ]);
}

/** The byte length of `streamGeneratedZip(entries)`, known before streaming (for Content-Length). */
export function generatedZipLength(entries: readonly GeneratedZipEntry[]): number {
  let total = 22;
  for (const entry of entries) {
    const name = Buffer.byteLength(entry.name);
    total += 30 + name + entry.size + 16 + 46 + name;
  }
  return total;
}

/**
 * Streams a stored ZIP whose entries are `size` bytes of a repeating pattern, with data
 * descriptors (CRC after the data), so a 1 GB archive is produced in constant memory.
 */
export async function* streamGeneratedZip(
  entries: readonly GeneratedZipEntry[],
  chunkSize = 1024 * 1024,
): AsyncGenerator<Buffer> {
  const pattern = Buffer.alloc(chunkSize);
  for (let i = 0; i < chunkSize; i++) pattern[i] = (i * 31 + 7) & 0xff;
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const header: Header = {
      name: Buffer.from(entry.name),
      method: 0,
      flags: UTF8_FLAG | DATA_DESCRIPTOR_FLAG,
      crc: 0,
      compressed: entry.size,
      size: entry.size,
      mode: 0o100644,
    };
    const local = localHeader(header);
    yield local;
    let crc = 0;
    for (let left = entry.size; left > 0; left -= chunkSize) {
      const chunk = left >= chunkSize ? pattern : pattern.subarray(0, left);
      crc = crc32(chunk, crc);
      yield chunk;
    }
    header.crc = crc;
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(entry.size, 8);
    descriptor.writeUInt32LE(entry.size, 12);
    yield descriptor;
    central.push(centralHeader(header, offset));
    offset += local.length + entry.size + 16;
  }
  const directory = Buffer.concat(central);
  yield directory;
  yield endOfCentralDirectory(entries.length, directory.length, offset);
}
