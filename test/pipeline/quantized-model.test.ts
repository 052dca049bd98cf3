import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeQuantization } from '../../src/analyze/quantized.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { prepareModel } from '../../src/pipeline/model-source.js';
import { silentProgress } from '../../src/util/progress.js';
import { hasZoo, zooModel } from '../helpers/zoo.js';

/** `edgeopt run --model <already-quantized.onnx>`: the baseline is the FP32 rebuild, the file itself a variant. */
describe.skipIf(!hasZoo)('run on an already-quantized model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-run-quantized-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prepares the dequantized FP32 baseline and keeps the file as given for measuring', async () => {
    const prepared = await prepareModel(zooModel('yolov10n_int8_640'), join(dir, 'model.onnx'), silentProgress);
    expect(prepared.original).toEqual({ file: 'model_original.onnx', description: 'the model as given: dynamic INT8: 83 ConvInteger, int8 weights, 78 DynamicQuantizeLinear' });
    expect(prepared.info.notes.join(' ')).toMatch(/already quantized .* FP32 baseline is its dequantized rebuild/);
    expect(describeQuantization((await loadModel(join(dir, 'model.onnx'))).graph).schemes).toEqual([]);
    expect(existsSync(join(dir, 'model_original.onnx'))).toBe(true);
    expect(describeQuantization((await loadModel(join(dir, 'model_original.onnx'))).graph).schemes).toEqual(['dynamic']);
  });
});
