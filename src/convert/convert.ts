/**
 * `.pt` → ONNX: read the checkpoint safely (src/pt), rebuild the architecture from its yaml with its weights
 * (src/models), and check that the graph used every parameter the checkpoint has.
 */
import { basename } from 'node:path';
import { setMetadata, type MetadataStamp } from '../onnx/builder.js';
import { buildYoloModel, type BuildOptions, type BuiltModelInfo } from '../models/build.js';
import { saveModel } from '../onnx/model-io.js';
import type { LoadedModel } from '../onnx/types.js';
import { readCheckpoint, type Checkpoint } from '../pt/checkpoint.js';
import { EdgeoptError } from '../util/errors.js';
import { checkpointModel } from './checkpoint-model.js';

export interface ConvertOptions {
  /** Input size (square side or [height, width]); a multiple of the max stride 32. Default 640. */
  imgsz?: number | [number, number];
  /** ONNX opset (12–21, default 17). */
  opset?: number;
  /** Symbolic batch axis instead of batch 1. */
  dynamicBatch?: boolean;
}

export interface ConversionInfo extends BuiltModelInfo {
  /** The checkpoint converted (path or '<bytes>'). */
  source: string;
  /** Wall time of reading + building, in seconds. */
  seconds: number;
}

export interface Conversion {
  model: LoadedModel;
  info: ConversionInfo;
}

export function convertCheckpoint(input: string | Checkpoint, options: ConvertOptions = {}): Conversion {
  const start = performance.now();
  const checkpoint = typeof input === 'string' ? readCheckpoint(input) : input;
  const source = checkpointModel(checkpoint);
  const buildOptions: BuildOptions = {
    imgsz: options.imgsz,
    opset: options.opset,
    dynamicBatch: options.dynamicBatch,
    names: source.names,
    description: `${source.spec.name} (${source.family}, ${source.spec.nc} classes) converted by edgeopt from ${basename(checkpoint.source)}`,
  };
  const built = buildYoloModel(source.spec, source.weights, buildOptions);
  if (built.info.params !== source.checkpointParams) {
    throw new EdgeoptError(
      `${checkpoint.source}: the checkpoint has ${source.checkpointParams} parameters but its yaml's graph uses ${built.info.params}; the weights do not match the architecture`,
    );
  }
  const seconds = (performance.now() - start) / 1000;
  return { model: built.model, info: { ...built.info, source: checkpoint.source, seconds } };
}

/** Converts `ptPath` and writes the ONNX model to `outPath` atomically (no file is left on failure). */
export async function convertFile(ptPath: string, outPath: string, options: ConvertOptions & { stamp?: MetadataStamp } = {}): Promise<Conversion & { bytes: number }> {
  const conversion = convertCheckpoint(ptPath, options);
  if (options.stamp) setMetadata(conversion.model, options.stamp(conversion.model));
  const bytes = await saveModel(conversion.model, outPath);
  return { ...conversion, bytes };
}
