import { resolve } from 'node:path';
import { setMetadata, type MetadataStamp } from '../onnx/builder.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import { EdgeoptError } from '../util/errors.js';
import { optimizeGraph, type OptimizeOptions, type OptimizeReport } from './index.js';

export interface OptimizeFileResult {
  input: string;
  output: string;
  bytes: number;
  report: OptimizeReport;
}

/** Reads an ONNX file, applies the rewrites, writes the result atomically (also when nothing matched). */
export async function optimizeModelFile(
  input: string,
  output: string,
  options: OptimizeOptions & { stamp?: MetadataStamp } = {},
): Promise<OptimizeFileResult> {
  if (resolve(input) === resolve(output)) throw new EdgeoptError(`output ${output} is the input model: choose another path`);
  const model = await loadModel(input);
  const { model: optimized, report } = optimizeGraph(model, options);
  if (options.stamp) setMetadata(optimized, options.stamp(optimized));
  const bytes = await saveModel(optimized, output);
  return { input, output, bytes, report };
}
