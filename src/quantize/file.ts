import { stat } from 'node:fs/promises';
import { setMetadata, type MetadataStamp } from '../onnx/builder.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import { EdgeoptError } from '../util/errors.js';
import { assertNotQuantized } from './already-quantized.js';
import { isQuantizeModeName, modes, runQuantizeMode, type DynamicModeOptions, type QuantizeOptions } from './modes.js';
import type { QuantizeReport } from './types.js';

export interface QuantizeFileExtras {
  /** Metadata to write into the output (edgeopt's model contract), computed from the quantized model. */
  stamp?: MetadataStamp;
}

/** A quantization request (`mode` names the mode; without it, dynamic INT8) plus what the file writer adds. */
export type QuantizeFileOptions = (QuantizeOptions | (DynamicModeOptions & { mode?: undefined })) & QuantizeFileExtras;

export interface QuantizeFileResult {
  report: QuantizeReport;
  inputPath: string;
  outputPath: string;
  inputBytes: number;
  outputBytes: number;
  /** inputBytes / outputBytes. */
  compression: number;
  /** Time spent quantizing in memory (excludes reading and writing the files). */
  quantizeMs: number;
  totalMs: number;
}

/**
 * Loads a model, quantizes it with the chosen mode and writes the result atomically. Everything
 * happens in memory first, so a failure at any step leaves no output file behind.
 */
export async function quantizeModelFile(inPath: string, outPath: string, options: QuantizeFileOptions = {}): Promise<QuantizeFileResult> {
  const { stamp, ...rest } = options;
  const request: QuantizeOptions = rest.mode === undefined ? { ...rest, mode: 'dynamic' } : rest;
  // Callers from plain JavaScript (or JSON) can name any string: the same one line as the CLI's.
  const modeName: string = request.mode;
  if (!isQuantizeModeName(modeName)) throw new EdgeoptError(`unknown quantization mode '${modeName}' (available: ${Object.keys(modes).join(', ')})`);
  const start = performance.now();
  const inputBytes = (await stat(inPath).catch(() => undefined))?.size;
  if (inputBytes === undefined) throw new EdgeoptError(`model not found: ${inPath}`);
  const model = await loadModel(inPath);
  if (modeName !== 'dequantize') assertNotQuantized(model, `--mode ${modeName}`, { input: inPath, output: outPath });
  const quantizeStart = performance.now();
  const { model: quantized, report } = await runQuantizeMode(model, request);
  const quantizeMs = performance.now() - quantizeStart;
  if (stamp) setMetadata(quantized, stamp(quantized));
  const outputBytes = await saveModel(quantized, outPath);
  return {
    report,
    inputPath: inPath,
    outputPath: outPath,
    inputBytes,
    outputBytes,
    compression: inputBytes / outputBytes,
    quantizeMs,
    totalMs: performance.now() - start,
  };
}
