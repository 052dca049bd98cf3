/**
 * The container layer of a PyTorch checkpoint: `torch.save` (torch ≥ 1.6) writes a zip whose entries all
 * sit under one archive prefix (`archive/`, `best/`, `yolov5nu/`, …): `data.pkl` (the pickled object),
 * `data/<key>` (one raw little-endian storage per key), `version`, and since torch 2.1 `byteorder`.
 * Before opening the zip we recognise the files that people mistake for checkpoints (Git LFS pointers,
 * HTML error pages, the legacy pre-1.6 format) so the user gets a message that says what they have.
 */
import { unzipSync } from 'fflate';
import { EdgeoptError } from '../util/errors.js';

export interface TorchZip {
  /** Archive prefix including its trailing slash, e.g. 'archive/' ('' when entries sit at the root). */
  prefix: string;
  /** Bytes of `<prefix>data.pkl`. */
  pickle: Uint8Array;
  /** Contents of `<prefix>version` (e.g. '3'), trimmed; '' when absent. */
  version: string;
  /** From `<prefix>byteorder` when present; torch < 2.1 writes none and is always little-endian. */
  byteOrder: 'little';
  /** Storage key → raw bytes of `<prefix>data/<key>`. */
  records: Map<string, Uint8Array>;
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

/**
 * The end-of-central-directory record says how many entries follow; a crafted count (up to 2^64 in
 * zip64) would keep the unzipper looping over garbage, so it must fit in the file.
 */
function checkEntryCount(bytes: Uint8Array, source: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new EdgeoptError(`${source} is a truncated or corrupt zip archive (no end-of-archive record)`);
  let count = view.getUint16(eocd + 10, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const zip64 = Number(view.getBigUint64(eocd - 12, true));
    if (zip64 + 56 <= bytes.length && zip64 >= 0 && view.getUint32(zip64, true) === 0x06064b50) {
      count = Number(view.getBigUint64(zip64 + 32, true));
    }
  }
  if (count * CENTRAL_RECORD_BYTES > bytes.length) {
    throw new EdgeoptError(`${source} is a corrupt zip archive (claims ${count} entries in ${bytes.length} bytes)`);
  }
}

/** Opens the zip container of a torch.save checkpoint and collects its entries by role. */
export function readTorchZip(bytes: Uint8Array, source: string): TorchZip {
  const problem = describeNonZip(bytes);
  if (problem) throw new EdgeoptError(`${source} ${problem}`);

  checkEntryCount(bytes, source);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.compression !== 0 && file.originalSize > Math.max(1 << 20, file.size * MAX_DEFLATE_RATIO)) {
          throw new EdgeoptError(`${source}: zip entry '${file.name}' claims ${file.originalSize} bytes from ${file.size} compressed bytes`);
        }
        return true;
      },
    });
  } catch (err) {
    if (err instanceof EdgeoptError) throw err;
    throw new EdgeoptError(`${source} is a truncated or corrupt zip archive (${err instanceof Error ? err.message : String(err)})`);
  }

  const names = Object.keys(entries);
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
  const text = (name: string): string | undefined => {
    const entry = entries[prefix + name];
    return entry === undefined ? undefined : new TextDecoder().decode(entry).trim();
  };

  const byteOrder = text('byteorder');
  if (byteOrder !== undefined && byteOrder !== 'little') {
    throw new EdgeoptError(`${source} was saved on a ${byteOrder}-endian machine; only little-endian checkpoints are supported`);
  }

  const records = new Map<string, Uint8Array>();
  const dataDir = `${prefix}data/`;
  for (const name of names) {
    if (name.startsWith(dataDir) && name.length > dataDir.length) records.set(name.slice(dataDir.length), entries[name]!);
  }
  return { prefix, pickle: entries[pickleName]!, version: text('version') ?? '', byteOrder: 'little', records };
}
