import { EdgeoptError } from '../util/errors.js';
import { float16BitsToFloat32 } from '../util/float16.js';
import type { PlainTensor } from './runtime.js';

/** A floating-point tensor's values as float32 (float16 bits are widened; float32 data is returned as is). */
export function floatData(tensor: PlainTensor, name = 'tensor'): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return Float32Array.from(tensor.data as Uint16Array, float16BitsToFloat32);
  throw new EdgeoptError(`${name} is ${tensor.type}, expected float32 or float16`);
}
