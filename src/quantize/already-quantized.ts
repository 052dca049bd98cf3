import { basename, dirname, extname, join } from 'node:path';
import { describeQuantization } from '../analyze/quantized.js';
import type { LoadedModel } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';

/**
 * Quantizing an already-quantized model stacks a second rounding on the first and measures nothing useful, so
 * every mode refuses one, naming what is quantized and the command that rebuilds its float model.
 */
export function assertNotQuantized(model: LoadedModel, mode: string, paths: { input?: string; output?: string } = {}): void {
  const summary = describeQuantization(model.graph);
  if (summary.schemes.length === 0) return;
  const input = paths.input ?? '<model.onnx>';
  // Beside the requested output (the input's folder may be read-only), named after the input.
  const output = paths.input && paths.output ? join(dirname(paths.output), `${basename(paths.input, extname(paths.input))}_fp32.onnx`) : '<model_fp32.onnx>';
  throw new EdgeoptError(
    `model is already quantized (${summary.description}); ${mode} would quantize it twice — rebuild its FP32 model first: edgeopt quantize ${input} -o ${output} --mode dequantize`,
  );
}
