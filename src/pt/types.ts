/**
 * Plain records that the safe pickle reader builds from a PyTorch checkpoint. Nothing here can run
 * code: Python objects become {@link PyObject} records naming their class, tensors become
 * {@link TorchTensor} views over typed storages.
 */

export type TorchDtype = 'float16' | 'bfloat16' | 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface TorchStorage {
  kind: 'storage';
  key: string;
  dtype: TorchDtype;
  /** Elements in the storage. */
  size: number;
  /** Raw little-endian bytes of the storage (a view into the checkpoint in memory, or read from its file on first use). */
  readonly bytes: Uint8Array;
}

export interface TorchTensor {
  kind: 'tensor';
  storage: TorchStorage;
  dtype: TorchDtype;
  shape: number[];
  strides: number[];
  storageOffset: number;
  requiresGrad: boolean;
  /** True when built by torch._utils._rebuild_parameter (an nn.Parameter). */
  isParameter: boolean;
}

/** An instance of an allow-listed Python class (nn.Module subclasses, torch.Size, …). */
export interface PyObject {
  kind: 'object';
  /** Fully qualified class name, e.g. 'models.common.C3' or 'torch.nn.modules.conv.Conv2d'. */
  className: string;
  /** Constructor arguments (NEWOBJ/REDUCE args), when any. */
  args: PyValue[];
  /** What BUILD set: usually the instance __dict__ (a PyDict), possibly a (dict, slots) tuple. */
  state: PyValue;
}

export interface PyDict {
  kind: 'dict';
  /** Insertion-ordered entries; keys may be any hashable value (str, int, tuple). */
  entries: Array<[PyValue, PyValue]>;
  /** Class name for dict subclasses such as 'collections.OrderedDict'. */
  className?: string;
  /** Instance attributes a dict subclass carried (BUILD state), e.g. a state_dict's `_metadata`. */
  attrs?: PyValue;
}

export interface PyTuple {
  kind: 'tuple';
  items: PyValue[];
}

export interface PySet {
  kind: 'set';
  items: PyValue[];
  frozen: boolean;
}

/** A reference to an allow-listed global that was pushed but never called (e.g. a class used as a value). */
export interface PyGlobal {
  kind: 'global';
  module: string;
  name: string;
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyDict
  | PyTuple
  | PySet
  | PyObject
  | PyGlobal
  | TorchTensor
  | TorchStorage;
