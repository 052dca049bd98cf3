/**
 * The allow-list that makes unpickling a torch.save checkpoint safe: the only Python globals a
 * checkpoint may name, and the plain record each one turns into. Everything else — `posix.system`,
 * `builtins.eval`, `numpy` reconstructors, any unknown class — is refused by name before the
 * pickle can apply it to anything.
 */
import { EdgeoptError } from '../util/errors.js';
import { isRecord, kindOf, type PickleEnvironment } from './pickle.js';
import type { PyDict, PyGlobal, PyObject, PyTuple, PyValue, TorchDtype, TorchStorage, TorchTensor } from './types.js';
import type { ZipRecord } from './zip.js';

/** torch.<Name>Storage → element type; UntypedStorage (torch ≥ 2) is raw bytes. */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDtype>> = {
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

export const DTYPE_BYTES: Readonly<Record<TorchDtype, number>> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Plain functions/containers the checkpoint may "call"; each has a data-only implementation below. */
const ALLOWED_FUNCTIONS = new Set([
  'collections.OrderedDict',
  '__builtin__.set',
  'builtins.set',
  '__builtin__.frozenset',
  'builtins.frozenset',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch.Size',
]);

/**
 * Modules whose classes become {@link PyObject} records (class name + state, never instantiated):
 * torch's own nn layers, YOLOv5 (`models.yolo`, `models.common`, `models.experimental`) and Ultralytics.
 */
const CLASS_MODULE_PREFIXES = ['torch.nn.modules.', 'ultralytics.nn.'];
const CLASS_MODULES = new Set(['models.yolo', 'models.common', 'models.experimental']);
/** Data-only helper classes some Ultralytics and YOLOv5 checkpoints pickle alongside the model. */
const DATA_CLASSES = new Set([
  'ultralytics.utils.IterableSimpleNamespace',
  'ultralytics.yolo.utils.IterableSimpleNamespace',
  'pathlib.PosixPath',
  'pathlib.WindowsPath',
]);

/** Storages claiming more elements than this (beyond their own size) are refused: no broadcast tricks. */
const MAX_BROADCAST_ELEMENTS = 1 << 24;
const MAX_DIMS = 32;

/** True when `module.name` may appear in a checkpoint (classes start upper-case: no module functions). */
export function isAllowedGlobal(module: string, name: string): boolean {
  const full = `${module}.${name}`;
  if (ALLOWED_FUNCTIONS.has(full) || DATA_CLASSES.has(full)) return true;
  if (module === 'torch' && name in STORAGE_DTYPES) return true;
  const classModule = CLASS_MODULES.has(module) || CLASS_MODULE_PREFIXES.some((p) => module.startsWith(p));
  return classModule && /^[A-Z]/.test(name);
}

/**
 * Builds the pickle environment for one checkpoint. `records` are the zip's `data/<key>` entries;
 * each storage key becomes one shared {@link TorchStorage} (tensors that share storage share it).
 */
export function torchPickleEnvironment(records: Map<string, ZipRecord>): PickleEnvironment & { storages: Map<string, TorchStorage>; globals: Set<string> } {
  const storages = new Map<string, TorchStorage>();
  const globals = new Set<string>();
  return {
    storages,
    globals,
    checkGlobal(module, name) {
      if (!isAllowedGlobal(module, name)) {
        throw new EdgeoptError(`checkpoint uses disallowed global '${module}.${name}' (edgeopt never runs code from a checkpoint)`);
      }
      globals.add(`${module}.${name}`);
    },
    construct: (callable, args, kwargs) => construct(callable, args, kwargs),
    persistentLoad: (pid) => loadStorage(pid, records, storages),
  };
}

const ORDERED_DICT = 'collections.OrderedDict';

function bad(message: string): never {
  throw new EdgeoptError(`corrupt checkpoint: ${message}`);
}

function construct(callable: PyGlobal, args: PyValue[], kwargs: PyDict | null): PyValue {
  // `OrderedDict()` is most of a checkpoint's calls (each module has several): recognised without building its name.
  const full = callable.name === 'OrderedDict' && callable.module === 'collections' ? ORDERED_DICT : `${callable.module}.${callable.name}`;
  switch (full) {
    case ORDERED_DICT: {
      const dict: PyDict = { kind: 'dict', entries: [], className: ORDERED_DICT };
      // OrderedDict(iterable_of_pairs) — torch writes OrderedDict() and SETITEMS, but accept both.
      const pairs = args[0];
      if (Array.isArray(pairs)) {
        for (const pair of pairs) {
          const items = isRecord(pair, 'tuple') ? (pair as PyTuple).items : Array.isArray(pair) ? pair : null;
          if (!items || items.length !== 2) bad('OrderedDict argument is not a list of pairs');
          dict.entries.push([items[0]!, items[1]!]);
        }
      }
      return dict;
    }
    case '__builtin__.set':
    case 'builtins.set':
    case '__builtin__.frozenset':
    case 'builtins.frozenset': {
      const items = args[0] === undefined ? [] : Array.isArray(args[0]) ? args[0] : isRecord(args[0], 'tuple') ? (args[0] as PyTuple).items : bad(`${full} of a ${kindOf(args[0])}`);
      return { kind: 'set', items: [...items], frozen: full.endsWith('frozenset') };
    }
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const data = args[0];
      if (!isRecord(data, 'tensor')) bad(`${callable.name} of a ${kindOf(data)}`);
      return { ...(data as TorchTensor), requiresGrad: args[1] === true, isParameter: true };
    }
    case 'torch.Size':
      return { kind: 'object', className: full, args, state: null };
    default:
      if (callable.module === 'torch' && callable.name in STORAGE_DTYPES) bad(`${full} used as a function (storages come from persistent ids)`);
      return { kind: 'object', className: full, args: kwargs ? [...args, kwargs] : args, state: null } satisfies PyObject;
  }
}

function intOf(value: PyValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) bad(`${what} is ${String(value)}, not a non-negative integer`);
  return value;
}

/** A tuple of non-negative ints, or a torch.Size wrapping one. */
function intsOf(value: PyValue | undefined, what: string): number[] {
  if (isRecord(value, 'object') && (value as PyObject).className === 'torch.Size') return intsOf((value as PyObject).args[0], what);
  const items = isRecord(value, 'tuple') ? (value as PyTuple).items : Array.isArray(value) ? value : bad(`${what} is a ${kindOf(value)}, not a tuple`);
  if (items.length > MAX_DIMS) bad(`${what} has ${items.length} dimensions`);
  return items.map((v, i) => intOf(v, `${what}[${i}]`));
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: PyValue[]): TorchTensor {
  const storage = args[0];
  if (!isRecord(storage, 'storage')) bad(`tensor built on a ${kindOf(storage)} instead of a storage`);
  const s = storage as TorchStorage;
  const storageOffset = intOf(args[1], 'tensor storage offset');
  const shape = intsOf(args[2], 'tensor shape');
  const strides = intsOf(args[3], 'tensor stride');
  if (shape.length !== strides.length) bad(`tensor shape [${shape}] and stride [${strides}] differ in rank`);
  let numel = 1;
  let lastIndex = storageOffset;
  for (let i = 0; i < shape.length; i++) {
    numel *= shape[i]!;
    lastIndex += (shape[i]! - 1) * strides[i]!;
  }
  if (numel > 0) {
    if (lastIndex >= s.size) bad(`tensor [${shape}] at offset ${storageOffset} reads element ${lastIndex} of storage '${s.key}' which holds ${s.size}`);
    if (numel > Math.max(s.size, MAX_BROADCAST_ELEMENTS)) bad(`tensor [${shape}] claims ${numel} elements from a storage of ${s.size}`);
  }
  return { kind: 'tensor', storage: s, dtype: s.dtype, shape, strides, storageOffset, requiresGrad: args[4] === true, isParameter: false };
}

/**
 * A storage whose bytes are read the first time they are asked for, then kept: what inspect says about a checkpoint
 * needs every storage's type and size but the values of only a few (stride, anchors).
 */
class StorageOnDemand implements TorchStorage {
  readonly kind = 'storage';
  private loaded: Uint8Array | undefined;

  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly size: number,
    private readonly load: () => Uint8Array,
  ) {}

  get bytes(): Uint8Array {
    this.loaded ??= this.load();
    return this.loaded;
  }
}

/** torch's persistent id `('storage', StorageType, key, location, numel)` → a view onto `data/<key>`. */
function loadStorage(pid: PyValue, records: Map<string, ZipRecord>, storages: Map<string, TorchStorage>): TorchStorage {
  if (!isRecord(pid, 'tuple')) bad(`persistent id is a ${kindOf(pid)}, not a ('storage', …) tuple`);
  const [tag, type, key, , numelValue] = (pid as PyTuple).items;
  if (tag !== 'storage') bad(`unknown persistent id type '${String(tag)}'`);
  if (!isRecord(type, 'global') || (type as PyGlobal).module !== 'torch' || !((type as PyGlobal).name in STORAGE_DTYPES)) {
    bad(`storage type is a ${kindOf(type)}, not a torch storage class`);
  }
  if (typeof key !== 'string') bad('storage key is not a string');
  const dtype = STORAGE_DTYPES[(type as PyGlobal).name]!;
  const size = intOf(numelValue, `storage '${key}' size`);
  const existing = storages.get(key);
  if (existing) {
    if (existing.dtype !== dtype || existing.size !== size) bad(`storage '${key}' is declared twice with different types or sizes`);
    return existing;
  }
  const record = records.get(key);
  if (!record) bad(`storage '${key}' is missing from the archive (no data/${key} entry)`);
  const byteLength = size * DTYPE_BYTES[dtype];
  if (byteLength > record.size) {
    bad(`storage '${key}' claims ${size} ${dtype} elements (${byteLength} bytes) but data/${key} holds ${record.size} bytes`);
  }
  const storage = new StorageOnDemand(key, dtype, size, () => record.bytes().subarray(0, byteLength));
  storages.set(key, storage);
  return storage;
}
