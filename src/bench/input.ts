import { EdgeoptError } from '../util/errors.js';
import { seededRandom, type Random } from '../util/random.js';
import { TENSOR_ELEMENT_TYPES, type InputInfo, type PlainTensor, type TensorElementType } from '../runtime/runtime.js';
import { float32ToFloat16Bits } from '../util/float16.js';

/**
 * What to feed a model while timing it: seeded random data shaped from the model's inputs
 * (symbolic dims → 1 unless `shape` overrides the first float input), or a real image tensor.
 */
export interface InputSpec {
  /** PRNG seed for random inputs; the same seed gives identical inputs everywhere. */
  seed?: number;
  /** Full shape for the model's first floating-point input, e.g. [1,3,640,640]. */
  shape?: number[];
  /** A real tensor (e.g. a letterboxed image) for the first floating-point input. */
  image?: PlainTensor;
}

export const DEFAULT_INPUT_SEED = 1234;

const FLOAT_TYPES = new Set(['float32', 'float16', 'float64']);

/** Resolves the concrete shape of an input: fixed dims stay, symbolic/unknown dims become 1. */
export function resolveInputShape(input: InputInfo, override?: readonly number[]): number[] {
  if (!override) return input.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  if (input.shape.length > 0 && override.length !== input.shape.length) {
    throw new EdgeoptError(`input '${input.name}' has rank ${input.shape.length} (${formatShape(input.shape)}); --shape gives ${override.join(',')}`);
  }
  input.shape.forEach((d, axis) => {
    if (typeof d === 'number' && d > 0 && d !== override[axis]) {
      throw new EdgeoptError(`input '${input.name}' has fixed size ${d} at axis ${axis} (${formatShape(input.shape)}); --shape gives ${override.join(',')}`);
    }
  });
  return [...override];
}

export function formatShape(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(',')}]`;
}

function randomValues(type: TensorElementType, count: number, random: Random): PlainTensor['data'] {
  switch (type) {
    case 'float32': {
      // Uniform [0,1): the range of a normalized image, so activations look like real ones.
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = random();
      return out;
    }
    case 'float16': {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = float32ToFloat16Bits(random());
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = random();
      return out;
    }
    case 'uint16':
    case 'uint32': {
      const out = type === 'uint16' ? new Uint16Array(count) : new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 10);
      return out;
    }
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 10);
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(count);
      for (let i = 0; i < count; i++) out[i] = BigInt(Math.floor(random() * 10));
      return out;
    }
    case 'uint8': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 256);
      return out;
    }
    case 'int8': {
      const out = new Int8Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 256) - 128;
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(random() * 10);
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = BigInt(Math.floor(random() * 10));
      return out;
    }
    case 'bool':
      return new Uint8Array(count);
  }
}

function elementType(input: InputInfo): TensorElementType {
  if (!(TENSOR_ELEMENT_TYPES as readonly string[]).includes(input.type)) {
    throw new EdgeoptError(`input '${input.name}' has type ${input.type}, which the benchmark cannot generate data for`);
  }
  return input.type as TensorElementType;
}

/** Builds one tensor per model input (pure: the same inputs and spec give the same tensors). */
export function makeInputTensors(inputs: readonly InputInfo[], spec: InputSpec = {}): Record<string, PlainTensor> {
  const random = seededRandom(spec.seed ?? DEFAULT_INPUT_SEED);
  const primary = inputs.find((input) => FLOAT_TYPES.has(input.type)) ?? inputs[0];
  const tensors: Record<string, PlainTensor> = {};
  for (const input of inputs) {
    const type = elementType(input);
    const isPrimary = input === primary;
    if (isPrimary && spec.image) {
      const dims = resolveInputShape(input, spec.image.dims);
      if (spec.image.type !== type) {
        throw new EdgeoptError(`image tensor is ${spec.image.type} but input '${input.name}' expects ${type}`);
      }
      tensors[input.name] = { ...spec.image, dims };
      continue;
    }
    const dims = resolveInputShape(input, isPrimary ? spec.shape : undefined);
    const count = dims.reduce((a, b) => a * b, 1);
    tensors[input.name] = { type, dims, data: randomValues(type, count, random) };
  }
  return tensors;
}

/** Parses --shape 1,3,640,640 into positive integers. */
export function parseShape(value: string): number[] {
  const dims = value.split(/[,x]/).map((s) => Number(s.trim()));
  if (dims.length === 0 || dims.length > 8 || dims.some((d) => !Number.isInteger(d) || d < 1 || d > 100_000)) {
    throw new EdgeoptError(`--shape must be positive integers separated by commas (e.g. 1,3,640,640), got '${value}'`);
  }
  return dims;
}
