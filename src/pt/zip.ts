/**
 * The container layer of a PyTorch checkpoint: `torch.save` (torch ≥ 1.6) writes a zip whose entries all
 * sit under one archive prefix (`archive/`, `best/`, `yolov5nu/`, …): `data.pkl` (the pickled object),
 * `data/<key>` (one raw little-endian storage per key), `version`, and since torch 2.1 `byteorder`.
 * Before opening the zip we recognise the files that people mistake for checkpoints (Git LFS pointers,
 * HTML error pages, the legacy pre-1.6 format) so the user gets a message that says what they have.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EdgeoptError } from '../util/errors.js';

/**
 * Where a zip's bytes come from: a buffer already in memory, or a file read piece by piece. Reading a file whole
 * costs more than everything else `edgeopt inspect` does with a .pt (14 ms for the 4 MB yolov5n.pt here, against
 * 0.4 ms for a 100 KB read, about the size of its directory and pickle); a storage's bytes are read when something
 * asks for them.
 */
export interface ByteSource {
  readonly size: number;
  /** True when every read is a fresh array (a file), false when it is a view into bytes the caller holds. */
  readonly copies: boolean;
  /** `length` bytes from `offset`; callers keep the range within `size`. */
  read(offset: number, length: number): Uint8Array;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, copies: false, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/**
 * A file whose `statSync` was `opened`, opened for each read (so no descriptor outlives the call that needed it).
 * Each read is a fresh array. Storages may be read well after the directory was: a
 * training run that rewrites last.pt meanwhile would hand out another file's bytes, so every read first checks that
 * the file still has the size and modification time it had when it was opened.
 */
export function fileSource(path: string, opened: { size: number; mtimeMs: number }): ByteSource {
  return {
    size: opened.size,
    copies: true,
    read(offset, length) {
      const out = new Uint8Array(length);
      let fd: number | undefined;
      try {
        fd = openSync(path, 'r');
        const now = fstatSync(fd);
        if (now.size !== opened.size || now.mtimeMs !== opened.mtimeMs) throw new EdgeoptError(`${path} changed while it was being read; read it again once nothing writes to it`);
        for (let done = 0; done < length; ) {
          const n = readSync(fd, out, done, length - done, offset + done);
          if (n === 0) throw new EdgeoptError(`${path} became shorter while it was being read`);
          done += n;
        }
      } catch (err) {
        if (err instanceof EdgeoptError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        throw new EdgeoptError(`cannot read ${path}: ${code === 'ENOENT' ? 'it is gone' : (err as Error).message}`);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      return out;
    },
  };
}

/** A zip entry whose bytes are read on first use: its (uncompressed) size is known from the directory. */
export interface ZipRecord {
  size: number;
  bytes(): Uint8Array;
}

export interface TorchZip {
  /** Archive prefix including its trailing slash, e.g. 'archive/' ('' when entries sit at the root). */
  prefix: string;
  /** Bytes of `<prefix>data.pkl`. */
  pickle: Uint8Array;
  /** Contents of `<prefix>version` (e.g. '3'), trimmed; '' when absent. */
  version: string;
  /** From `<prefix>byteorder` when present; torch < 2.1 writes none and is always little-endian. */
  byteOrder: 'little';
  /** Storage key → `<prefix>data/<key>`, checked against the directory but read only when asked for. */
  records: Map<string, ZipRecord>;
}

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];
const ZIP_EMPTY_ARCHIVE = [0x50, 0x4b, 0x05, 0x06];
/** Legacy torch.save starts with PROTO 2, LONG1 10 <magic 0x1950a86a20f9469cfc6c>. */
const LEGACY_TORCH_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** torch never compresses; a deflated entry may expand at most this much before we call it a zip bomb. */
const MAX_DEFLATE_RATIO = 1000;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

/** Says what a non-zip file is, in words a user recognises, or null when it looks like a zip. */
export function describeNonZip(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'is empty (0 bytes)';
  if (startsWith(bytes, ZIP_LOCAL_HEADER) || startsWith(bytes, ZIP_EMPTY_ARCHIVE)) return null;
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512)).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('version https://git-lfs.github.com/spec/')) {
    return 'is a Git LFS pointer, not the model itself (run `git lfs pull` or download the real file)';
  }
  if (/^<(!doctype\s+html|html|head|body|\?xml)/i.test(head)) {
    return 'is an HTML page, not a checkpoint (the download probably saved an error or login page)';
  }
  if (startsWith(bytes, LEGACY_TORCH_MAGIC)) {
    return 'uses the legacy (pre-1.6, non-zip) torch.save format, which is not supported; re-save it with torch >= 1.6';
  }
  if (bytes[0] === 0x80) return 'is a bare pickle, not a PyTorch zip checkpoint';
  return 'is not a PyTorch checkpoint (not a zip archive)';
}

/** Smallest central-directory record (46 bytes + name). */
const CENTRAL_RECORD_BYTES = 46;
const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const STORED = 0;
/** Bytes read past a local header's fixed 30 in the hope of covering its name and extra field (see entryData). */
const LOCAL_HEADER_SLACK = 256;
const DEFLATED = 8;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The archive's truncated/corrupt line, with what was wrong in brackets. */
function corrupt(source: string, what: string): EdgeoptError {
  return new EdgeoptError(`${source} is a truncated or corrupt zip archive (${what})`);
}

/**
 * Where the central directory is and how many entries it lists (zip64 when the 32-bit fields overflow). A
 * crafted count (up to 2^64 in zip64) would keep a reader looping over garbage, so it must fit in the file.
 */
function findDirectory(from: ByteSource, source: string): { count: number; offset: number; size: number } {
  // The end record (22 bytes) sits within a 64 KB comment of the end, with zip64's 20-byte locator just before it.
  const tailStart = Math.max(0, from.size - 22 - 0xffff - 20);
  const tail = from.read(tailStart, from.size - tailStart);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt(source, 'no end-of-archive record');
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64 = Number(view.getBigUint64(eocd - 12, true));
    if (zip64 + 56 <= from.size && zip64 >= 0) {
      const record = from.read(zip64, 56);
      const zip64View = new DataView(record.buffer, record.byteOffset, record.byteLength);
      if (zip64View.getUint32(0, true) === ZIP64_EOCD_SIGNATURE) {
        count = Number(zip64View.getBigUint64(32, true));
        size = Number(zip64View.getBigUint64(40, true));
        offset = Number(zip64View.getBigUint64(48, true));
      }
    }
  }
  if (count * CENTRAL_RECORD_BYTES > from.size) {
    throw new EdgeoptError(`${source} is a corrupt zip archive (claims ${count} entries in ${from.size} bytes)`);
  }
  if (offset + size > from.size) throw corrupt(source, 'its directory lies beyond the end of the file');
  return { count, offset, size };
}

/** The central directory's records: name, compression, sizes and where each entry's local header is. */
function readDirectory(from: ByteSource, source: string): ZipEntry[] {
  const dir = findDirectory(from, source);
  const bytes = from.read(dir.offset, dir.size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: ZipEntry[] = [];
  // Two decoders for the whole directory, not one per entry (358 in yolov5n.pt, each costly to make while V8 is cold).
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  const end = dir.size;
  let at = 0;
  for (let i = 0; i < dir.count; i++) {
    if (at + CENTRAL_RECORD_BYTES > end || view.getUint32(at, true) !== CENTRAL_SIGNATURE) throw corrupt(source, `directory record ${i + 1} of ${dir.count} is damaged`);
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + CENTRAL_RECORD_BYTES + nameLength + extraLength + commentLength > end) throw corrupt(source, `directory record ${i + 1} of ${dir.count} is cut short`);
    const nameBytes = bytes.subarray(at + CENTRAL_RECORD_BYTES, at + CENTRAL_RECORD_BYTES + nameLength);
    const entry: ZipEntry = {
      name: (flags & 0x800 ? utf8 : latin1).decode(nameBytes),
      method: view.getUint16(at + 10, true),
      flags,
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
    };
    applyZip64Extra(entry, view, at + CENTRAL_RECORD_BYTES + nameLength, extraLength);
    entries.push(entry);
    at += CENTRAL_RECORD_BYTES + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Zip64's extra field (id 1) holds, in this order, each 32-bit field that overflowed (written as 0xFFFFFFFF). */
function applyZip64Extra(entry: ZipEntry, view: DataView, start: number, length: number): void {
  const MAX32 = 0xffffffff;
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === 1) {
      let field = at + 4;
      const next = (): number => {
        const value = field + 8 <= at + 4 + size ? Number(view.getBigUint64(field, true)) : MAX32;
        field += 8;
        return value;
      };
      if (entry.size === MAX32) entry.size = next();
      if (entry.compressedSize === MAX32) entry.compressedSize = next();
      if (entry.localOffset === MAX32) entry.localOffset = next();
      return;
    }
    at += 4 + size;
  }
}

/**
 * What can be said about an entry from the directory alone, said before anything is read: it must lie within the
 * file, not be encrypted, use a method torch writes, and not claim to inflate absurdly (a zip bomb).
 */
function checkEntry(from: ByteSource, entry: ZipEntry, source: string): void {
  if (entry.localOffset + 30 + entry.compressedSize > from.size) throw corrupt(source, `entry '${entry.name}' runs past the end of the file`);
  if (entry.flags & 1) throw new EdgeoptError(`${source}: zip entry '${entry.name}' is encrypted`);
  if (entry.method === STORED) {
    if (entry.size !== entry.compressedSize) throw corrupt(source, `stored entry '${entry.name}' has two sizes`);
    return;
  }
  if (entry.method !== DEFLATED) throw new EdgeoptError(`${source}: zip entry '${entry.name}' uses compression method ${entry.method}, which torch never writes`);
  if (entry.size > Math.max(1 << 20, entry.compressedSize * MAX_DEFLATE_RATIO)) {
    throw new EdgeoptError(`${source}: zip entry '${entry.name}' claims ${entry.size} bytes from ${entry.compressedSize} compressed bytes`);
  }
}

/**
 * An entry's bytes (checked by checkEntry first). torch.save stores entries uncompressed (and aligned, so that torch
 * can map them), so a stored entry of a file in memory is a view into it, not a copy. A deflated entry (an archive
 * re-zipped by hand) is inflated with fflate, loaded only then.
 */
function entryData(from: ByteSource, entry: ZipEntry, source: string): Uint8Array {
  const at = entry.localOffset;
  // One read for the local header, its name and extra field, and the data, which is one file open per storage, not
  // two. The header's variable part is guessed at most LOCAL_HEADER_SLACK bytes (torch's are a short name and the
  // padding that aligns the data to 64 bytes); a longer one costs a second read.
  const chunk = from.read(at, Math.min(from.size - at, 30 + LOCAL_HEADER_SLACK + entry.compressedSize));
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (view.getUint32(0, true) !== LOCAL_SIGNATURE) throw corrupt(source, `entry '${entry.name}' has no local header`);
  const skip = 30 + view.getUint16(26, true) + view.getUint16(28, true);
  if (at + skip + entry.compressedSize > from.size) throw corrupt(source, `entry '${entry.name}' runs past the end of the file`);
  let data = skip + entry.compressedSize <= chunk.length ? chunk.subarray(skip, skip + entry.compressedSize) : from.read(at + skip, entry.compressedSize);
  // Typed-array views of a storage need its bytes aligned. A view into bytes held in memory stays a view (torch aligns
  // its entries in the file); a chunk read from a file starts at the header, so its data is copied out to align it.
  if (from.copies && data.byteOffset % 8 !== 0) data = data.slice();
  if (entry.method === STORED) return data;
  const { inflateSync } = createRequire(import.meta.url)('fflate') as typeof import('fflate');
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(data, { out: new Uint8Array(entry.size) });
  } catch (err) {
    throw corrupt(source, `entry '${entry.name}': ${err instanceof Error ? err.message : String(err)}`);
  }
  if (inflated.length !== entry.size) throw corrupt(source, `entry '${entry.name}' inflates to ${inflated.length} bytes, not ${entry.size}`);
  return inflated;
}

/** Opens the zip container of a torch.save checkpoint and collects its entries by role. */
export function readTorchZip(from: ByteSource, source: string): TorchZip {
  const problem = describeNonZip(from.read(0, Math.min(from.size, 512)));
  if (problem) throw new EdgeoptError(`${source} ${problem}`);

  const directory = new Map<string, ZipEntry>();
  for (const entry of readDirectory(from, source)) if (!entry.name.endsWith('/')) directory.set(entry.name, entry);
  const names = [...directory.keys()];
  const pickleName = names.find((n) => n === 'data.pkl' || /^[^/]*\/data\.pkl$/.test(n));
  if (pickleName === undefined) {
    const torchScript = names.some((n) => /(^|\/)code\//.test(n) || /(^|\/)constants\.pkl$/.test(n));
    throw new EdgeoptError(
      torchScript
        ? `${source} is a TorchScript archive (torch.jit.save); edgeopt reads torch.save checkpoints only`
        : `${source} is a zip archive but not a PyTorch checkpoint (no data.pkl inside)`,
    );
  }
  const prefix = pickleName.slice(0, pickleName.length - 'data.pkl'.length);
  const read = (name: string): Uint8Array | undefined => {
    const entry = directory.get(name);
    if (entry === undefined) return undefined;
    checkEntry(from, entry, source);
    return entryData(from, entry, source);
  };
  const text = (name: string): string | undefined => {
    const entry = read(prefix + name);
    return entry === undefined ? undefined : new TextDecoder().decode(entry).trim();
  };

  const byteOrder = text('byteorder');
  if (byteOrder !== undefined && byteOrder !== 'little') {
    throw new EdgeoptError(`${source} was saved on a ${byteOrder}-endian machine; only little-endian checkpoints are supported`);
  }

  const records = new Map<string, ZipRecord>();
  const dataDir = `${prefix}data/`;
  for (const [name, entry] of directory) {
    if (!name.startsWith(dataDir) || name.length === dataDir.length) continue;
    checkEntry(from, entry, source);
    records.set(name.slice(dataDir.length), { size: entry.size, bytes: () => entryData(from, entry, source) });
  }
  return { prefix, pickle: read(pickleName)!, version: text('version') ?? '', byteOrder: 'little', records };
}
