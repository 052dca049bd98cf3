/**
 * What `edgeopt bench` decides before it measures: the compute a model does (for GMAC/s and plausibility) and
 * the input tensor when an image is given. Library code, so the CLI only parses flags and prints.
 */
import { analyzeModel } from '../analyze/analyze.js';
import { inputSizeFromDims } from '../image/input-size.js';
import { loadImageTensor } from '../image/preprocess.js';
import { loadModel } from '../onnx/model-io.js';
import { describeError } from '../util/errors.js';
import { assertReadableFile } from '../util/fs.js';
import type { Progress } from '../util/progress.js';
import type { BenchResult } from './benchmark.js';
import type { BenchRow } from './format.js';
import { checkRunPlausibility, inferPrecision, type ComputePrecision } from './plausibility.js';
import type { PlainTensor } from '../runtime/runtime.js';

export interface ModelCompute {
  /** Multiply-accumulates per inference, when known for the shape that is measured. */
  macs?: number;
  precision: ComputePrecision;
}

/**
 * MACs (from the analyzer, at the model's own static input shape, or `macsOverride`) and the precision it
 * computes in. A model the analyzer cannot read is still benchmarked: GMAC/s is then not reported, with a warning.
 */
export async function modelCompute(path: string, shape: readonly number[] | undefined, macsOverride: number | undefined, progress: Progress): Promise<ModelCompute> {
  try {
    const analysis = analyzeModel(await loadModel(path));
    const precision = inferPrecision(Object.keys(analysis.opCounts), (analysis.parameters.byDtype.float16?.count ?? 0) > 0);
    if (macsOverride !== undefined) return { macs: macsOverride, precision };
    const inputDims = analysis.inputs[0]?.shape ?? [];
    const staticShape = inputDims.every((d) => typeof d === 'number');
    const sameShape = !shape || (staticShape && shape.join(',') === inputDims.join(','));
    return { macs: staticShape && sameShape && analysis.macs.total > 0 ? analysis.macs.total : undefined, precision };
  } catch (err) {
    progress.warn(`could not analyze ${path} for MACs (${describeError(err)}); GMAC/s not reported`);
    return { macs: macsOverride, precision: 'fp32' };
  }
}

/** An image letterboxed to the input size: from `shape` ([1,3,H,W]) when given, else the first model's input. */
export async function imageBenchInput(imagePath: string, firstModel: string, shape: readonly number[] | undefined): Promise<PlainTensor> {
  await assertReadableFile(imagePath, 'image');
  let [width, height] = [shape?.[3], shape?.[2]];
  if (height === undefined || width === undefined) {
    const analysis = analyzeModel(await loadModel(firstModel));
    [width, height] = inputSizeFromDims(analysis.inputs[0]?.shape ?? []);
  }
  const tensor = await loadImageTensor(imagePath, { width, height });
  return { type: 'float32', dims: [...tensor.dims], data: tensor.data };
}

/** Each result with its plausibility check (GMAC/s against the CPU's peak) when the model's MACs are known. */
export function benchRows(results: readonly BenchResult[], compute: ReadonlyMap<string, ModelCompute>): BenchRow[] {
  return results.map((result) => {
    const c = compute.get(result.model);
    return { result, plausibility: c?.macs ? checkRunPlausibility(result, c.macs, c.precision) : undefined };
  });
}

/** The `bench --json` document: { runs: [...] }. */
export function benchRunsJson(rows: readonly BenchRow[]) {
  return {
    runs: rows.map(({ result, plausibility }) => ({
      model: result.model,
      scenario: result.scenario,
      threads: result.threads,
      stats: result.stats ?? null,
      ...(result.error ? { error: result.error, partial: result.partial } : {}),
      plausibility: plausibility ?? null,
      provenance: result.provenance,
    })),
  };
}
