/**
 * Seeded synthetic weights for the built-in default models. The values are never trained, so detections mean
 * nothing, but the graph, shapes and magnitudes are those of a real model: latency measured on it is valid.
 * Each tensor is generated from (seed, key) alone, so a value does not depend on the order layers are built in.
 */
import { EdgeoptError } from '../util/errors.js';
import { YOLO_BN_EPS, sameShape, type WeightSource, type WeightTensor } from './weights.js';
import { seededRandom } from '../util/random.js';

/** 32-bit FNV-1a of the key, mixed with the seed: the per-tensor stream id. */
function streamId(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fill(count: number, next: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = next();
  return out;
}

/**
 * Values by what the key names, with the magnitudes of a trained YOLO network:
 * - conv weights: Kaiming-uniform over fan-in (bound sqrt(6 / fan_in)), what PyTorch-style He init gives;
 * - BatchNorm γ in [0.4, 1.2], β ~ ±0.1, running mean ~ ±0.2, running var in [0.5, 1.5]: the folded gain
 *   γ/√var averages a little under 1, which keeps 60+ layers of residual blocks from exploding (larger gains
 *   saturate every sigmoid) or dying out (smaller ones make all outputs equal);
 * - biases of the plain output convs: the prior the caller gives (Detect's bias init), else small.
 */
function syntheticValues(key: string, shape: readonly number[], seed: number): Float32Array {
  const uniform = seededRandom(streamId(seed, key));
  const count = shape.reduce((a, b) => a * b, 1);
  const between = (lo: number, hi: number) => () => lo + (hi - lo) * uniform();
  if (key.endsWith('.weight') && shape.length === 4) {
    const fanIn = shape[1]! * shape[2]! * shape[3]!;
    const bound = Math.sqrt(6 / fanIn);
    return fill(count, between(-bound, bound));
  }
  if (key.endsWith('.bn.weight')) return fill(count, between(0.4, 1.2));
  if (key.endsWith('.bn.bias')) return fill(count, between(-0.1, 0.1));
  if (key.endsWith('.running_mean')) return fill(count, between(-0.2, 0.2));
  if (key.endsWith('.running_var')) return fill(count, between(0.5, 1.5));
  if (key.endsWith('.bias')) return fill(count, between(-0.05, 0.05));
  throw new EdgeoptError(`synthetic weights: no rule for tensor '${key}'`);
}

/**
 * A source that invents every parameter of the unfused (Conv + BatchNorm) layout from `seed`. It holds no
 * fused conv biases and no YOLOv5 anchor buffer, so builders fall back to the architecture's anchors.
 */
export function syntheticWeightSource(seed: number): WeightSource {
  const cache = new Map<string, WeightTensor>();
  return {
    synthetic: true,
    // The unfused layout: BatchNorm after every Conv block, no bias on the convs inside Conv blocks.
    has: (key) => !key.endsWith('.conv.bias') && !key.endsWith('.anchors'),
    optional: () => undefined,
    bnEps: () => YOLO_BN_EPS,
    tensor(key, shape, layer, prior) {
      const cached = cache.get(key);
      if (cached) {
        if (!sameShape(cached.shape, shape)) throw new EdgeoptError(`${layer}: synthetic tensor '${key}' requested with two shapes`);
        return cached.data;
      }
      let data: Float32Array;
      if (prior) {
        if (prior.length !== shape.reduce((a, b) => a * b, 1)) throw new EdgeoptError(`${layer}: prior for '${key}' does not fill [${shape.join(',')}]`);
        data = prior;
      } else {
        data = syntheticValues(key, shape, seed);
      }
      cache.set(key, { data, shape: [...shape] });
      return data;
    },
  };
}
