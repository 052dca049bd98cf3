/**
 * A tiny pickle *writer* for tests: opcode-level building blocks, so hostile and edge-case pickles
 * are spelled out byte by byte in the tests instead of coming from Python. Also builds torch-style
 * zip checkpoints around a pickle with fflate (entries STORED, like torch.save).
 */
import { zipSync } from 'fflate';

export type Bytes = number[];

const utf8 = (s: string): Bytes => Array.from(new TextEncoder().encode(s));
const u32 = (n: number): Bytes => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export const MARK: Bytes = [0x28];
export const STOP: Bytes = [0x2e];
export const NONE: Bytes = [0x4e];
export const TRUE: Bytes = [0x88];
export const FALSE: Bytes = [0x89];
export const EMPTY_TUPLE: Bytes = [0x29];
export const EMPTY_LIST: Bytes = [0x5d];
export const EMPTY_DICT: Bytes = [0x7d];
export const TUPLE: Bytes = [0x74];
export const TUPLE1: Bytes = [0x85];
export const TUPLE2: Bytes = [0x86];
export const TUPLE3: Bytes = [0x87];
export const APPEND: Bytes = [0x61];
export const APPENDS: Bytes = [0x65];
export const SETITEM: Bytes = [0x73];
export const SETITEMS: Bytes = [0x75];
export const REDUCE: Bytes = [0x52];
export const NEWOBJ: Bytes = [0x81];
export const BUILD: Bytes = [0x62];
export const BINPERSID: Bytes = [0x51];
export const STACK_GLOBAL: Bytes = [0x93];
export const MEMOIZE: Bytes = [0x94];
export const POP: Bytes = [0x30];
export const DUP: Bytes = [0x32];

export const proto = (n: number): Bytes => [0x80, n];
/** FRAME with the given payload length (protocol 4+). */
export const frame = (n: number): Bytes => [0x95, ...u32(n), 0, 0, 0, 0];
export const int = (n: number): Bytes => {
  if (n >= 0 && n < 256) return [0x4b, n];
  if (n >= -(2 ** 31) && n < 2 ** 31) return [0x4a, ...u32(n)];
  // LONG1: little-endian two's complement, 8 bytes is plenty for tests.
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return [0x8a, 8, ...b];
};
export const float = (x: number): Bytes => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, false);
  return [0x47, ...b];
};
export const str = (s: string): Bytes => {
  const b = utf8(s);
  return b.length < 256 ? [0x8c, b.length, ...b] : [0x58, ...u32(b.length), ...b];
};
/** BINUNICODE whose length field is `claimed` regardless of the bytes that follow. */
export const strClaiming = (claimed: number, s: string): Bytes => [0x58, ...u32(claimed), ...utf8(s)];
export const global = (module: string, name: string): Bytes => [0x63, ...utf8(`${module}\n${name}\n`)];
export const stackGlobal = (module: string, name: string): Bytes => [...str(module), ...str(name), ...STACK_GLOBAL];
export const binput = (i: number): Bytes => [0x71, i];
export const binget = (i: number): Bytes => [0x68, i];

/** `collections.OrderedDict()` followed by SETITEMS of key/value byte pairs. */
export function orderedDict(entries: Array<[Bytes, Bytes]>): Bytes {
  const out = [...global('collections', 'OrderedDict'), ...EMPTY_TUPLE, ...REDUCE];
  if (entries.length) out.push(...MARK, ...entries.flatMap(([k, v]) => [...k, ...v]), ...SETITEMS);
  return out;
}

export function dict(entries: Array<[Bytes, Bytes]>): Bytes {
  const out = [...EMPTY_DICT];
  if (entries.length) out.push(...MARK, ...entries.flatMap(([k, v]) => [...k, ...v]), ...SETITEMS);
  return out;
}

export function tuple(items: Bytes[]): Bytes {
  if (items.length === 0) return EMPTY_TUPLE;
  return [...MARK, ...items.flat(), ...TUPLE];
}

/** `torch._utils._rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, shape, stride, False, OrderedDict())`. */
export function tensor(opts: { storageType: string; key: string; numel: number; offset?: number; shape: number[]; stride: number[] }): Bytes {
  const pid = tuple([str('storage'), global('torch', opts.storageType), str(opts.key), str('cpu'), int(opts.numel)]);
  return [
    ...global('torch._utils', '_rebuild_tensor_v2'),
    ...tuple([[...pid, ...BINPERSID], int(opts.offset ?? 0), tuple(opts.shape.map(int)), tuple(opts.stride.map(int)), FALSE, orderedDict([])]),
    ...REDUCE,
  ];
}

/** `torch._utils._rebuild_parameter(tensor, True, OrderedDict())`. */
export function parameter(tensorBytes: Bytes): Bytes {
  return [...global('torch._utils', '_rebuild_parameter'), ...tuple([tensorBytes, TRUE, orderedDict([])]), ...REDUCE];
}

/** An nn.Module-like instance: NEWOBJ of `module.name` with BUILD state {_parameters, _buffers, _modules, ...attrs}. */
export function moduleObject(
  module: string,
  name: string,
  parts: { parameters?: Array<[string, Bytes]>; buffers?: Array<[string, Bytes]>; modules?: Array<[string, Bytes]>; attrs?: Array<[string, Bytes]> },
): Bytes {
  const state = dict([
    [str('training'), FALSE],
    [str('_parameters'), orderedDict((parts.parameters ?? []).map(([k, v]) => [str(k), v]))],
    [str('_buffers'), orderedDict((parts.buffers ?? []).map(([k, v]) => [str(k), v]))],
    [str('_modules'), orderedDict((parts.modules ?? []).map(([k, v]) => [str(k), v]))],
    ...(parts.attrs ?? []).map(([k, v]): [Bytes, Bytes] => [str(k), v]),
  ]);
  return [...global(module, name), ...EMPTY_TUPLE, ...NEWOBJ, ...state, ...BUILD];
}

export function pickleBytes(...parts: Bytes[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

/** A torch.save-style zip: `<prefix>data.pkl`, `<prefix>version`, `<prefix>data/<key>` for each record. */
/** `level` above 0 deflates every entry, as a checkpoint re-zipped by hand would be (torch.save stores them). */
export function torchZip(
  pickle: Uint8Array,
  records: Record<string, Uint8Array> = {},
  options: { prefix?: string; extra?: Record<string, Uint8Array>; level?: 0 | 6 | 9 } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'archive/';
  const level = { level: options.level ?? 0 };
  const files: Record<string, [Uint8Array, { level: 0 | 6 | 9 }]> = {
    [`${prefix}data.pkl`]: [pickle, level],
    [`${prefix}version`]: [new TextEncoder().encode('3\n'), level],
  };
  for (const [key, bytes] of Object.entries(records)) files[`${prefix}data/${key}`] = [bytes, level];
  for (const [name, bytes] of Object.entries(options.extra ?? {})) files[name] = [bytes, level];
  return zipSync(files);
}
