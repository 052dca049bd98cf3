/**
 * Where a graph builder gets its parameters: a checkpoint's state_dict (torch keys such as
 * 'model.2.cv1.conv.weight') or seeded synthetic values. Builders ask for a key with the shape the architecture
 * implies; the source either returns exactly that many values or throws a one-line error naming the layer.
 */
import { EdgeoptError } from '../util/errors.js';

export interface WeightTensor {
  data: Float32Array;
  shape: number[];
}

export interface WeightSource {
  /** True when the values are synthetic (never trained); recorded in the model's metadata. */
  readonly synthetic: boolean;
  /** Whether the source holds `key` (synthetic sources answer for the unfused Conv+BN layout). */
  has(key: string): boolean;
  /**
   * The values of `key`, which must have `shape`; `layer` names the layer for error messages. `prior` is what an
   * untrained model holds there (the DFL's arange, Detect's bias priors): synthetic sources use it, checkpoint
   * sources ignore it.
   */
  tensor(key: string, shape: readonly number[], layer: string, prior?: Float32Array): Float32Array;
  /** A tensor whose shape the caller does not know in advance (e.g. YOLOv5 Detect anchors), if present. */
  optional(key: string): WeightTensor | undefined;
  /** BatchNorm epsilon of the module at `bnPath` (YOLO models set 1e-3). */
  bnEps(bnPath: string): number;
  /** The activation a Conv block at `path` holds, when the source knows its modules (checkpoints do). */
  activation?(path: string): 'silu' | 'identity' | undefined;
}

/** The BatchNorm epsilon YOLOv5 and Ultralytics set on every BatchNorm2d. */
export const YOLO_BN_EPS = 1e-3;

/**
 * A weight source over already-decoded tensors (a state_dict converted to float32), with per-module BatchNorm
 * epsilons when the checkpoint records them.
 */
export function tensorMapWeightSource(
  tensors: ReadonlyMap<string, WeightTensor>,
  options: { bnEps?: ReadonlyMap<string, number>; synthetic?: boolean } = {},
): WeightSource {
  return {
    synthetic: options.synthetic ?? false,
    has: (key) => tensors.has(key),
    optional: (key) => tensors.get(key),
    bnEps: (bnPath) => options.bnEps?.get(bnPath) ?? YOLO_BN_EPS,
    tensor(key, shape, layer) {
      const found = tensors.get(key);
      if (!found) throw new EdgeoptError(`${layer}: the checkpoint has no tensor '${key}' (the weights do not match the architecture)`);
      if (!sameShape(found.shape, shape)) {
        throw new EdgeoptError(
          `${layer}: '${key}' has shape [${found.shape.join(',')}] but the architecture expects [${shape.join(',')}]`,
        );
      }
      return found.data;
    },
  };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
