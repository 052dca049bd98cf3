import { describe, expect, it } from 'vitest';
import * as edgeopt from '../src/index.js';
import { asset, hasAssets } from './helpers/assets.js';

describe('public library API', () => {
  it('exports every stage from one entry point', () => {
    for (const name of [
      'loadModel', 'saveModel', 'inferShapes', 'readCheckpoint', 'convertCheckpoint', 'buildDefaultModel', 'analyzeModel',
      'quantizeDynamic', 'quantizeStatic', 'convertToFloat16', 'mixedPrecisionSearch', 'benchmarkModels', 'profileModel',
      'findings', 'evaluateModel', 'decodeDetections', 'resolveContract', 'chooseDecoder', 'decodeOutputs', 'preprocessImage', 'runDetect', 'selectVariant', 'renderReport', 'runPipeline', 'startDemoServer',
    ]) {
      expect(typeof (edgeopt as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it.skipIf(!hasAssets)('does the study in a few calls: load, analyze, quantize dynamically, analyze again', async () => {
    const fp32 = await edgeopt.loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    expect(edgeopt.analyzeModel(fp32).opCounts.Conv).toBe(76);
    const { model } = edgeopt.quantizeDynamic(fp32);
    const census = edgeopt.analyzeModel(model).quantization;
    expect(census.ConvInteger).toBe(76);
    expect(census.DynamicQuantizeLinear).toBe(63);
  });
});
