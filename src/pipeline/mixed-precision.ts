import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkModels } from '../bench/benchmark.js';
import { evaluateModel } from '../eval/evaluate.js';
import { setMetadata, type MetadataStamp } from '../onnx/builder.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import type { LoadedModel } from '../onnx/types.js';
import { mixedPrecisionSearch, type MixedPrecisionReport } from '../quantize/mixed.js';
import { staticQuantizeOptions, type StaticModeOptions } from '../quantize/static/index.js';
import { announceProviderFallback } from '../runtime/fallback.js';
import { silentProgress, type Progress } from '../util/progress.js';

export interface MixedPrecisionFileOptions extends StaticModeOptions {
  /** Metadata to write into the output (edgeopt's model contract). */
  stamp?: MetadataStamp;
  maxDrop: number;
  evalData: string;
  evalImages?: number;
  /** Measure 1-thread latency of the fully quantized and the final model (default true). */
  measureLatency?: boolean;
  /**
   * Execution providers, tried in order with an explicit fallback (default ['cpu']), for every session of the search:
   * calibration (unless calibrationSession says otherwise), output comparisons, mAP and the latency benchmark.
   */
  providers?: string[];
}

export interface MixedPrecisionFileResult {
  inputPath: string;
  outputPath: string;
  outputBytes: number;
  report: MixedPrecisionReport;
}

/**
 * Accuracy-aware mixed precision on files: the quantize stage searches which layers to return to
 * float, and this wiring gives it the two measurements it needs from later stages — mAP on the
 * user's dataset (src/eval) and 1-thread latency in an isolated process (src/bench).
 */
export async function quantizeMixedPrecisionFile(inPath: string, outPath: string, options: MixedPrecisionFileOptions): Promise<MixedPrecisionFileResult> {
  const progress: Progress = options.progress ?? silentProgress;
  const work = await mkdtemp(join(tmpdir(), 'edgeopt-mixed-'));
  let counter = 0;
  const asFile = async (model: LoadedModel) => {
    const path = join(work, `candidate-${counter++}.onnx`);
    await saveModel(model, path);
    return path;
  };
  try {
    const model = await loadModel(inPath);
    const dataRules = { maxBad: options.maxBad, strict: options.strict === true };
    const session = options.providers ? { providers: options.providers } : undefined;
    // Every candidate is scored on the same images: bad ones are named once, on the baseline run.
    let warn: ((line: string) => void) | undefined = (line) => progress.warn(line);
    const evaluate = async (path: string) => {
      const r = await evaluateModel(path, options.evalData, { maxImages: options.evalImages, ...dataRules, onWarning: warn, session });
      warn = undefined;
      return r.map50_95 * 100;
    };
    progress.step(`measuring FP32 accuracy on ${options.evalData}`);
    const baselineMap = await evaluate(inPath);
    const { maxDrop, evalData: _evalData, evalImages: _evalImages, measureLatency: _measureLatency, stamp, providers: _providers, ...request } = options;
    const quantize = staticQuantizeOptions({ ...request, calibrationSession: request.calibrationSession ?? session, progress });
    const { model: result, report } = await mixedPrecisionSearch(model, {
      quantize,
      baselineMap,
      maxDrop,
      evaluate: async (candidate) => evaluate(await asFile(candidate)),
      measureLatency:
        options.measureLatency === false
          ? undefined
          : async (candidate) => {
              const [bench] = await benchmarkModels([await asFile(candidate)], { scenarios: ['controlled'], runs: 30, warmup: 5, rounds: 1, providers: options.providers });
              if (bench?.provenance.run) announceProviderFallback({ label: 'mixed-precision candidate', ...bench.provenance.run });
              return bench?.stats?.p50Ms ?? Number.NaN;
            },
      progress,
    });
    if (stamp) setMetadata(result, stamp(result));
    await saveModel(result, outPath);
    return { inputPath: inPath, outputPath: outPath, outputBytes: (await stat(outPath)).size, report };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
