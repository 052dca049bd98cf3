/**
 * Reading a PyTorch `.pt` checkpoint into plain records, and the small helpers that walk an nn.Module
 * tree the way torch itself would (`_modules`, `_parameters`, `_buffers`, state_dict keys). Model
 * builders take these records as input; nothing here knows about YOLO layer types.
 */
import { type Stats, statSync } from 'node:fs';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from '../util/float16.js';
import { EdgeoptError } from '../util/errors.js';
import { isRecord, kindOf, unpickle } from './pickle.js';
import { DTYPE_BYTES, torchPickleEnvironment } from './torch-globals.js';
import type { PyDict, PyObject, PyValue, TorchDtype, TorchStorage, TorchTensor } from './types.js';
import { type ByteSource, fileSource, memorySource, readTorchZip } from './zip.js';

export interface Checkpoint {
  format: 'torch-zip';
  /** Where it came from: the path, or '<bytes>'. */
  source: string;
  /** Zip archive prefix with trailing slash, e.g. 'archive/', 'best/', 'yolov5nu/'. */
  prefix: string;
  /** Contents of `<prefix>version` (torch's serialization version, '3' today). */
  version: string;
  byteOrder: 'little';
  /** The unpickled object: for YOLO checkpoints a dict with 'model', 'ema', 'date', … */
  root: PyValue;
  /** Number of distinct storages the pickle referenced. */
  storageCount: number;
  /** Distinct globals the pickle named ('module.name'), all on the allow-list, sorted. */
  globals: string[];
}

/** Reading a checkpoint the size of a YOLO model is cheap; this only bounds absurd inputs. */
const MAX_CHECKPOINT_BYTES = 2 ** 31 - 1;

/**
 * Reads a torch.save checkpoint (zip format) from a path or its bytes, safely: only allow-listed
 * globals, no code execution, every size checked against the file. Throws EdgeoptError with one
 * line for anything that is not a readable checkpoint (LFS pointer, HTML, truncated zip, hostile pickle…).
 * Bytes read elsewhere are named `bytesSource` in those lines (their path, say).
 */
export function readCheckpoint(pathOrBytes: string | Uint8Array, bytesSource = '<bytes>'): Checkpoint {
  const source = typeof pathOrBytes === 'string' ? pathOrBytes : bytesSource;
  const from = typeof pathOrBytes === 'string' ? checkpointFile(pathOrBytes) : memorySource(pathOrBytes);
  const zip = readTorchZip(from, source);
  const env = torchPickleEnvironment(zip.records);
  let root: PyValue;
  try {
    root = unpickle(zip.pickle, env);
  } catch (err) {
    if (err instanceof EdgeoptError) throw new EdgeoptError(`${source}: ${err.message}`, { cause: err });
    throw err;
  }
  return {
    format: 'torch-zip',
    source,
    prefix: zip.prefix,
    version: zip.version,
    byteOrder: zip.byteOrder,
    root,
    storageCount: env.storages.size,
    globals: [...env.globals].sort(),
  };
}

/** The checkpoint's file, read piece by piece (see fileSource): its storages are read when a tensor's values are asked for. */
function checkpointFile(path: string): ByteSource {
  let stat: Stats;
  try {
    stat = statSync(path);
    if (stat.isDirectory()) throw new EdgeoptError(`${path} is a directory, not a checkpoint file`);
  } catch (err) {
    if (err instanceof EdgeoptError) throw err;
    throw new EdgeoptError(`cannot read checkpoint ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((err as Error).message)}`);
  }
  if (stat.size > MAX_CHECKPOINT_BYTES) throw new EdgeoptError(`${path} is ${stat.size} bytes; checkpoints over 2 GB are not supported`);
  return fileSource(path, stat);
}

// ---- generic access to pickled Python values ---------------------------------------------------

/** `dict[key]` for a PyDict (string or int key), undefined when absent or not a dict. */
export function pyGet(dict: PyValue | undefined, key: string | number): PyValue | undefined {
  if (!isRecord(dict, 'dict')) return undefined;
  // Indexed, not `for…of` with destructuring: this runs cold, once per attribute of every module, where the
  // interpreter's iterator protocol costs several times the loop itself (inspect's start-up budget is ~50 ms).
  const entries = (dict as PyDict).entries;
  for (let i = 0; i < entries.length; i++) if (entries[i]![0] === key) return entries[i]![1];
  return undefined;
}

/** Type guard for {@link PyObject}, optionally of an exact class name. */
export function isPyObject(value: PyValue | undefined, className?: string): value is PyObject {
  return isRecord(value, 'object') && (className === undefined || (value as PyObject).className === className);
}

/** Type guard for {@link TorchTensor}. */
export function isTorchTensor(value: PyValue | undefined): value is TorchTensor {
  return isRecord(value, 'tensor');
}

/** The short class name: 'models.common.C3' → 'C3'. */
export function shortClassName(module: PyObject): string {
  return module.className.slice(module.className.lastIndexOf('.') + 1);
}

// ---- nn.Module trees ---------------------------------------------------------------------------

/**
 * The model a checkpoint holds: `ema` when it is a module (what YOLOv5/Ultralytics load for
 * inference), else `model`; a bare module saved with torch.save(model) is returned as is.
 */
export function findModel(root: PyValue): PyObject {
  if (isPyObject(root) && moduleAttr(root, '_modules') !== undefined) return root;
  const ema = pyGet(root, 'ema');
  if (isPyObject(ema)) return ema;
  const model = pyGet(root, 'model');
  if (isPyObject(model)) return model;
  if (isRecord(root, 'dict') && (root as PyDict).entries.length > 0 && (root as PyDict).entries.every(([, v]) => isTorchTensor(v))) {
    throw new EdgeoptError('checkpoint is a bare state_dict (weights without the model structure); save the whole model or use an Ultralytics/YOLOv5 checkpoint');
  }
  throw new EdgeoptError(`checkpoint has no 'model' or 'ema' module (top level is a ${kindOf(root)})`);
}

/** The instance __dict__ of a module (what BUILD set), as a PyDict; empty when it has none. */
function instanceDict(module: PyObject): PyDict {
  const state = module.state;
  if (isRecord(state, 'dict')) return state as PyDict;
  // (dict, slots) form, used by classes with __slots__.
  if (isRecord(state, 'tuple')) {
    const first = (state as { items: PyValue[] }).items[0];
    if (isRecord(first, 'dict')) return first as PyDict;
  }
  return { kind: 'dict', entries: [] };
}

/** An attribute from the module's pickled __dict__ (e.g. 'nc', 'stride', 'yaml', 'f', 'i'), or undefined. */
export function moduleAttr(module: PyObject, name: string): PyValue | undefined {
  return pyGet(instanceDict(module), name);
}

/** The module's direct children in registration order (`_modules`), skipping `None` slots. */
export function moduleChildren(module: PyObject): Map<string, PyObject> {
  const children = new Map<string, PyObject>();
  const modules = moduleAttr(module, '_modules');
  if (!isRecord(modules, 'dict')) return children;
  const entries = (modules as PyDict).entries;
  for (let i = 0; i < entries.length; i++) {
    const value = entries[i]![1];
    if (isPyObject(value)) children.set(String(entries[i]![0]), value);
  }
  return children;
}

/** A descendant by dotted path ('model.24.cv2.0'), or undefined. */
export function moduleAt(module: PyObject, path: string): PyObject | undefined {
  let current: PyObject | undefined = module;
  for (const part of path.split('.').filter(Boolean)) current = current && moduleChildren(current).get(part);
  return current;
}

function tensorEntries(module: PyObject, attr: '_parameters' | '_buffers'): Array<[string, TorchTensor]> {
  const dict = moduleAttr(module, attr);
  if (!isRecord(dict, 'dict')) return [];
  const out: Array<[string, TorchTensor]> = [];
  const entries = (dict as PyDict).entries;
  for (let i = 0; i < entries.length; i++) {
    const value = entries[i]![1];
    if (isTorchTensor(value)) out.push([String(entries[i]![0]), value]);
  }
  return out;
}

/** Buffers registered with persistent=False are not part of a state_dict. */
function nonPersistentBuffers(module: PyObject): Set<string> {
  const set = moduleAttr(module, '_non_persistent_buffers_set');
  return new Set(isRecord(set, 'set') ? (set as { items: PyValue[] }).items.map(String) : []);
}

/**
 * torch's `module.state_dict()`: parameters then persistent buffers of each module, depth-first in
 * registration order, keyed like 'model.0.conv.weight' or 'model.0.bn.running_var'. Shared modules
 * appear under every path (as torch does with keep_vars); cycles are not followed.
 */
export function moduleStateDict(module: PyObject, prefix = ''): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  const visit = (m: PyObject, path: string, active: Set<PyObject>): void => {
    if (active.has(m)) return;
    active.add(m);
    for (const [name, t] of tensorEntries(m, '_parameters')) out.set(path + name, t);
    const skip = nonPersistentBuffers(m);
    for (const [name, t] of tensorEntries(m, '_buffers')) if (!skip.has(name)) out.set(path + name, t);
    for (const [name, child] of moduleChildren(m)) visit(child, `${path}${name}.`, active);
    active.delete(m);
  };
  visit(module, prefix, new Set());
  return out;
}

/** Every module in the tree once (pre-order, shared instances such as Conv.default_act counted once). */
export function moduleTree(module: PyObject): PyObject[] {
  const seen = new Set<PyObject>();
  const order: PyObject[] = [];
  const visit = (m: PyObject): void => {
    if (seen.has(m)) return;
    seen.add(m);
    order.push(m);
    for (const child of moduleChildren(m).values()) visit(child);
  };
  visit(module);
  return order;
}

/**
 * torch's `module.named_modules()`: [path, module] pairs, the root first with path '' (or `prefix`
 * without its trailing dot), each shared instance once, in registration order.
 */
export function namedModules(module: PyObject, prefix = ''): Array<[string, PyObject]> {
  const seen = new Set<PyObject>();
  const out: Array<[string, PyObject]> = [];
  const visit = (m: PyObject, path: string): void => {
    if (seen.has(m)) return;
    seen.add(m);
    out.push([path, m]);
    for (const [name, child] of moduleChildren(m)) visit(child, path ? `${path}.${name}` : name);
  };
  visit(module, prefix.replace(/\.$/, ''));
  return out;
}

/** {@link moduleStateDict} with every tensor decoded to float32: key → { data, shape }. */
export function moduleStateDictFloat32(module: PyObject, prefix = ''): Map<string, { data: Float32Array; shape: number[] }> {
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [key, t] of moduleStateDict(module, prefix)) out.set(key, { data: torchTensorToFloat32(t), shape: [...t.shape] });
  return out;
}

/** Parameters of the whole tree, each tensor counted once: `sum(p.numel() for p in model.parameters())`. */
export function parameterCount(module: PyObject): number {
  const seen = new Set<TorchStorage | TorchTensor>();
  let total = 0;
  for (const m of moduleTree(module)) {
    for (const [, t] of tensorEntries(m, '_parameters')) {
      if (seen.has(t)) continue;
      seen.add(t);
      total += tensorElementCount(t);
    }
  }
  return total;
}

// ---- tensors -----------------------------------------------------------------------------------

/** Number of elements (product of the shape; 1 for a scalar). */
export function tensorElementCount(t: TorchTensor): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function readElement(view: DataView, dtype: TorchDtype, index: number): number {
  const at = index * DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'float16':
      return float16BitsToFloat32(view.getUint16(at, true));
    case 'bfloat16':
      return bfloat16BitsToFloat32(view.getUint16(at, true));
    case 'float32':
      return view.getFloat32(at, true);
    case 'float64':
      return view.getFloat64(at, true);
    case 'int64':
      return Number(view.getBigInt64(at, true));
    case 'int32':
      return view.getInt32(at, true);
    case 'int16':
      return view.getInt16(at, true);
    case 'int8':
      return view.getInt8(at);
    case 'uint8':
    case 'bool':
      return view.getUint8(at);
  }
}

/** Typed-array views read in host byte order; storages are little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfToFloat: Float32Array | undefined;
/** All 65,536 float16 values, decoded once: checkpoints are almost entirely float16. */
function halfTable(): Float32Array {
  if (!halfToFloat) {
    halfToFloat = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfToFloat[bits] = float16BitsToFloat32(bits);
  }
  return halfToFloat;
}

/**
 * The tensor's values in row-major order as float32, honouring shape, strides, storage offset and
 * dtype (float16/bfloat16 widened exactly; int64 via Number). Always a fresh array.
 */
export function torchTensorToFloat32(t: TorchTensor): Float32Array {
  const n = tensorElementCount(t);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const bytes = t.storage.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contiguous = isContiguous(t);
  if (contiguous && HOST_LITTLE_ENDIAN && t.dtype === 'float32' && (bytes.byteOffset + t.storageOffset * 4) % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset + t.storageOffset * 4, n));
    return out;
  }
  if (contiguous && HOST_LITTLE_ENDIAN && t.dtype === 'float16' && (bytes.byteOffset + t.storageOffset * 2) % 2 === 0) {
    const bits = new Uint16Array(bytes.buffer, bytes.byteOffset + t.storageOffset * 2, n);
    const table = halfTable();
    for (let i = 0; i < n; i++) out[i] = table[bits[i]!]!;
    return out;
  }
  if (contiguous) {
    for (let i = 0; i < n; i++) out[i] = readElement(view, t.dtype, t.storageOffset + i);
    return out;
  }
  // General strided walk: an odometer over the shape.
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  let offset = t.storageOffset;
  for (let i = 0; i < n; i++) {
    out[i] = readElement(view, t.dtype, offset);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      offset += t.strides[d]!;
      if (index[d]! < t.shape[d]!) break;
      offset -= t.strides[d]! * t.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/** The tensor's values as plain numbers (row-major); for small tensors such as `stride` or anchors. */
export function torchTensorToNumbers(t: TorchTensor): number[] {
  return Array.from(torchTensorToFloat32(t));
}

/** True when the strides are the row-major strides of the shape. */
export function isContiguous(t: TorchTensor): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.strides[d] !== expected) return false;
    expected *= t.shape[d]!;
  }
  return true;
}

// ---- plain JS views ----------------------------------------------------------------------------

/** Plain JS form of a tensor in {@link pyToJs}: dtype and shape, plus the values when small. */
export interface TensorSummary {
  tensor: TorchDtype;
  shape: number[];
  values?: number[];
}

const MAX_JS_DEPTH = 100;

/**
 * Python data → plain JSON-able JS: dicts become objects (int keys become strings; dicts with other
 * keys become arrays of [key, value]), lists/tuples/sets become arrays, torch.Size a number array,
 * paths strings, tensors a {@link TensorSummary}, other objects `{ __class__, ...attributes }`.
 * Big ints outside the safe range become strings. Cycles and absurd nesting become '<…>' markers.
 */
export function pyToJs(value: PyValue | undefined): unknown {
  const active = new Set<object>();
  const convert = (v: PyValue | undefined, depth: number): unknown => {
    if (v === undefined || v === null) return v ?? null;
    if (typeof v === 'bigint') return String(v);
    if (typeof v !== 'object') return v;
    if (v instanceof Uint8Array) return Array.from(v);
    if (depth > MAX_JS_DEPTH) return '<too deep>';
    if (active.has(v)) return '<cycle>';
    active.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => convert(x, depth + 1));
      switch (v.kind) {
        case 'tuple':
        case 'set':
          return v.items.map((x) => convert(x, depth + 1));
        case 'dict': {
          if (v.entries.every(([k]) => typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean')) {
            const obj: Record<string, unknown> = {};
            for (const [k, x] of v.entries) obj[String(k)] = convert(x, depth + 1);
            return obj;
          }
          return v.entries.map(([k, x]) => [convert(k, depth + 1), convert(x, depth + 1)]);
        }
        case 'tensor': {
          const summary: TensorSummary = { tensor: v.dtype, shape: [...v.shape] };
          if (tensorElementCount(v) <= 64) summary.values = torchTensorToNumbers(v);
          return summary;
        }
        case 'storage':
          return { storage: v.dtype, size: v.size };
        case 'global':
          return `${v.module}.${v.name}`;
        case 'object': {
          if (v.className === 'torch.Size') return convert(v.args[0], depth + 1);
          if (v.className.startsWith('pathlib.')) return v.args.map(String).join('/').replace(/\/\/+/g, '/');
          const attrs = convert(instanceDict(v), depth + 1) as Record<string, unknown> | unknown[];
          return Array.isArray(attrs) ? { __class__: v.className, attrs } : { __class__: v.className, ...attrs };
        }
      }
    } finally {
      active.delete(v);
    }
  };
  return convert(value, 0);
}

// ---- YOLO model metadata (common to YOLOv5 and Ultralytics) ------------------------------------

/** Class names by index from `model.names` (dict {0: 'person', …} or list); [] when absent. */
export function modelNames(model: PyObject): string[] {
  const names = moduleAttr(model, 'names');
  if (Array.isArray(names)) return names.map(String);
  if (isRecord(names, 'dict')) {
    const out: string[] = [];
    for (const [k, v] of (names as PyDict).entries) {
      const index = typeof k === 'number' ? k : Number(k);
      if (Number.isInteger(index) && index >= 0 && index < 100_000) out[index] = String(v);
    }
    return Array.from(out, (n, i) => n ?? String(i));
  }
  return [];
}

/** `model.stride` as numbers (e.g. [8, 16, 32]); [] when absent. */
export function modelStride(model: PyObject): number[] {
  const stride = moduleAttr(model, 'stride');
  if (isTorchTensor(stride)) return torchTensorToNumbers(stride);
  if (Array.isArray(stride) || isRecord(stride, 'tuple')) return (pyToJs(stride) as unknown[]).map(Number);
  return [];
}

/** `model.yaml` (the architecture definition the checkpoint carries) as plain JS, or undefined. */
export function modelYaml(model: PyObject): Record<string, unknown> | undefined {
  const yaml = moduleAttr(model, 'yaml');
  if (!isRecord(yaml, 'dict')) return undefined;
  const js = pyToJs(yaml);
  return js !== null && typeof js === 'object' && !Array.isArray(js) ? (js as Record<string, unknown>) : undefined;
}
