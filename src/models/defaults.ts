/**
 * The built-in default models: YOLOv5n / YOLOv5nu (and YOLOv8n / YOLO11n) built from their architecture with
 * seeded synthetic weights, so `edgeopt run` works on a machine with nothing downloaded. The compute graph is the
 * real model's (same ops, same shapes), so latency measured on it is valid; accuracy is meaningless, which the
 * metadata says (`edgeopt_synthetic=true`).
 */
import { EdgeoptError } from '../util/errors.js';
import { buildYoloModel, type BuiltModel } from './build.js';
import { COCO_NAMES } from './coco-names.js';
import { syntheticWeightSource } from './synthetic-weights.js';
import { BUILTIN_ARCHITECTURES, builtinArchitecture, type BuiltinArchitecture } from './zoo.js';

export interface DefaultModelOptions {
  imgsz?: number | [number, number];
  opset?: number;
  dynamicBatch?: boolean;
  /** Seed of the synthetic weights (default 0): the same seed gives byte-identical models. */
  seed?: number;
}

export const DEFAULT_MODEL_NAME: BuiltinArchitecture = 'yolov5n';

export function buildDefaultModel(name: BuiltinArchitecture = DEFAULT_MODEL_NAME, options: DefaultModelOptions = {}): BuiltModel {
  if (!BUILTIN_ARCHITECTURES.includes(name)) {
    throw new EdgeoptError(`unknown built-in model '${name}' (choose ${BUILTIN_ARCHITECTURES.join(', ')})`);
  }
  const seed = options.seed ?? 0;
  const spec = builtinArchitecture(name);
  return buildYoloModel(spec, syntheticWeightSource(seed), {
    imgsz: options.imgsz,
    opset: options.opset,
    dynamicBatch: options.dynamicBatch,
    names: [...COCO_NAMES],
    description: `${name} architecture with SYNTHETIC seeded weights (seed ${seed}); never trained: latency is valid, detections are not`,
  });
}
