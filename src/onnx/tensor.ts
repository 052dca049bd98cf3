import { EdgeoptError } from '../util/errors.js';
import { float16ArrayToFloat32 } from '../util/float16.js';
import { DataType, type TensorProto } from './types.js';

/**
 * The typed array each ONNX dtype decodes to. float16 and bfloat16 stay as their uint16 bit patterns
 * (use {@link tensorToFloat32} for values); bool is one byte per element, as on the wire.
 */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface DtypeInfo {
  name: string;
  bytes: number;
  make: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
}

const DTYPES: Partial<Record<DataType, DtypeInfo>> = {
  [DataType.FLOAT]: { name: 'float32', bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  [DataType.UINT8]: { name: 'uint8', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  [DataType.INT8]: { name: 'int8', bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  [DataType.UINT16]: { name: 'uint16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  [DataType.INT16]: { name: 'int16', bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  [DataType.INT32]: { name: 'int32', bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  [DataType.INT64]: { name: 'int64', bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  [DataType.BOOL]: { name: 'bool', bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  [DataType.FLOAT16]: { name: 'float16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  [DataType.DOUBLE]: { name: 'float64', bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  [DataType.UINT32]: { name: 'uint32', bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  [DataType.UINT64]: { name: 'uint64', bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
  [DataType.BFLOAT16]: { name: 'bfloat16', bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
};

function dtypeInfo(dataType: number | undefined, tensorName = ''): DtypeInfo {
  const info = DTYPES[(dataType ?? 0) as DataType];
  if (!info) {
    const label = DataType[dataType ?? 0] ?? String(dataType);
    throw new EdgeoptError(`unsupported tensor data type ${label}${tensorName ? ` in tensor '${tensorName}'` : ''}`);
  }
  return info;
}

/** Human name of an ONNX dtype ('float32', 'int8', …), or `dtype<N>` for unknown codes. */
export function dataTypeName(dataType: number | undefined): string {
  return DTYPES[(dataType ?? 0) as DataType]?.name ?? (DataType[dataType ?? 0]?.toLowerCase() ?? `dtype${dataType}`);
}

/** Bytes per element of an ONNX dtype; 0 for variable-size types (string). */
export function dataTypeBytes(dataType: number | undefined): number {
  return DTYPES[(dataType ?? 0) as DataType]?.bytes ?? 0;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= Number(d);
  return n;
}

/**
 * The tensor's values as a typed array. From `raw_data` this is a zero-copy view when the bytes are
 * aligned (decoding a 10 MB model must not touch every element) and a single copy otherwise.
 */
export function tensorToArray(tensor: TensorProto): TensorData {
  const info = dtypeInfo(tensor.dataType, tensor.name);
  const count = elementCount(tensor.dims);
  const raw = tensor.rawData;
  if (raw && raw.byteLength > 0) {
    if (raw.byteLength !== count * info.bytes) {
      throw new EdgeoptError(
        `tensor '${tensor.name ?? ''}' has ${raw.byteLength} bytes of data but its shape [${tensor.dims.join(',')}] needs ${count * info.bytes}`,
      );
    }
    if (raw.byteOffset % info.bytes === 0) return info.make(raw.buffer as ArrayBuffer, raw.byteOffset, count);
    // new Uint8Array(...) copies; Buffer#slice (protobufjs hands out Buffers in Node) would be a view.
    const copy = new Uint8Array(raw);
    return info.make(copy.buffer, 0, count);
  }
  return fromTypedFields(tensor, count, info);
}

function fromTypedFields(tensor: TensorProto, count: number, info: DtypeInfo): TensorData {
  const dataType = tensor.dataType as DataType;
  const source: ArrayLike<number> | undefined =
    dataType === DataType.FLOAT
      ? tensor.floatData
      : dataType === DataType.DOUBLE
        ? tensor.doubleData
        : dataType === DataType.INT64
          ? tensor.int64Data
          : dataType === DataType.UINT32 || dataType === DataType.UINT64
            ? tensor.uint64Data
            : tensor.int32Data; // int8/uint8/int16/uint16/int32/bool/float16/bfloat16 live in int32_data
  const length = source?.length ?? 0;
  if (length !== count) {
    throw new EdgeoptError(
      `tensor '${tensor.name ?? ''}' holds ${length} values but its shape [${tensor.dims.join(',')}] needs ${count}`,
    );
  }
  const out = info.make(new ArrayBuffer(count * info.bytes), 0, count);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(source![i]!);
  } else {
    (out as Float32Array).set(source as ArrayLike<number>);
  }
  return out;
}

/** The tensor's values as float32, converting float16/bfloat16/ints; used by analysis and quantizers. */
export function tensorToFloat32(tensor: TensorProto): Float32Array {
  const data = tensorToArray(tensor);
  if (data instanceof Float32Array) return data;
  if (tensor.dataType === DataType.FLOAT16) return float16ArrayToFloat32(data as Uint16Array);
  if (tensor.dataType === DataType.BFLOAT16) {
    const out = new Float32Array(data.length);
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) u32[i] = (data as Uint16Array)[i]! << 16;
    return out;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Float32Array.from(data, (v) => Number(v));
  }
  return Float32Array.from(data as ArrayLike<number>);
}

/** Integer tensors (shapes, axes, Slice starts) as plain numbers. */
export function tensorToNumbers(tensor: TensorProto): number[] {
  const data = tensorToArray(tensor);
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

function dataTypeOfArray(data: TensorData): DataType {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof Int8Array) return DataType.INT8;
  if (data instanceof Uint8Array) return DataType.UINT8;
  if (data instanceof Int16Array) return DataType.INT16;
  if (data instanceof Uint16Array) return DataType.UINT16;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Uint32Array) return DataType.UINT32;
  if (data instanceof BigInt64Array) return DataType.INT64;
  return DataType.UINT64;
}

/**
 * A new initializer holding a copy of `data` in `raw_data`. `dataType` overrides the type implied
 * by the array (needed for float16/bfloat16 as Uint16Array and bool as Uint8Array).
 */
export function makeTensor(name: string, data: TensorData, dims: readonly number[], dataType?: DataType): TensorProto {
  const type = dataType ?? dataTypeOfArray(data);
  const info = dtypeInfo(type, name);
  if (elementCount(dims) !== data.length) {
    throw new EdgeoptError(`tensor '${name}': ${data.length} values do not fill shape [${dims.join(',')}]`);
  }
  if (info.bytes !== data.BYTES_PER_ELEMENT) {
    throw new EdgeoptError(`tensor '${name}': ${dataTypeName(type)} needs ${info.bytes}-byte elements`);
  }
  const rawData = new Uint8Array(data.byteLength);
  rawData.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return {
    name,
    dims: [...dims],
    dataType: type,
    rawData,
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
    stringData: [],
    externalData: [],
  };
}

/** Scalar or 1-D int64 tensor, the form ONNX wants for shapes, axes and Slice bounds. */
export function makeInt64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorProto {
  return makeTensor(name, BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

/** Bytes a tensor's data occupies, from its dtype and shape (not from how it happens to be encoded). */
export function tensorByteSize(tensor: TensorProto): number {
  return elementCount(tensor.dims) * dataTypeBytes(tensor.dataType);
}
