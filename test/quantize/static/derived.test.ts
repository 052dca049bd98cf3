import { beforeAll, describe, expect, it } from 'vitest';
import { makeGraph, makeNode } from '../../../src/onnx/builder.js';
import { loadModel } from '../../../src/onnx/model-io.js';
import type { LoadedModel } from '../../../src/onnx/types.js';
import { optimizeGraph } from '../../../src/optimize/index.js';
import type { CalibrationData } from '../../../src/quantize/calibrate/index.js';
import { derivableTensors } from '../../../src/quantize/static/derived.js';
import { calibrateStatic, quantizeStatic } from '../../../src/quantize/static/index.js';
import { asset, hasAssets } from '../../helpers/assets.js';

// conv → Relu → MaxPool → MaxPool: three increasing ops after one tensor that calibration measures.
const chain = makeGraph({
  node: [
    makeNode('Conv', ['x', 'w'], ['a']),
    makeNode('Relu', ['a'], ['b']),
    makeNode('MaxPool', ['b'], ['c']),
    makeNode('MaxPool', ['c'], ['d']),
  ],
});

describe('derived ranges', () => {
  it('resolves every derived tensor to a measured one, whatever order the plan lists them in', () => {
    for (const wanted of [['a', 'b', 'c', 'd'], ['d', 'c', 'b', 'a'], ['c', 'd', 'a', 'b']]) {
      const planned = derivableTensors(chain, wanted);
      expect([...planned.keys()].sort(), wanted.join()).toEqual(['b', 'c', 'd']);
      for (const d of planned.values()) expect(d.input).toBe('a');
      // With statistics for `a` only: the later tensors of a narrower plan still find it through the chain.
      const measured = derivableTensors(chain, wanted.filter((t) => t !== 'a'), (t) => t === 'a');
      expect([...measured.values()].map((d) => d.input)).toEqual(['a', 'a', 'a']);
      expect(measured.get('d')!.f(-2)).toBe(0);
      expect(measured.get('d')!.f(3)).toBe(3);
    }
  });

  it('derives nothing from a tensor that has no statistics and no measured source', () => {
    expect(derivableTensors(chain, ['d'], () => false).size).toBe(0);
    expect(derivableTensors(chain, ['c', 'd'], () => false).size).toBe(0);
    // Planning what to measure (no statistics yet): `c` will be measured, so `d` follows from it.
    expect(derivableTensors(chain, ['c', 'd']).get('d')).toMatchObject({ input: 'c' });
  });
});

describe.skipIf(!hasAssets)('static INT8 on a plan narrower than the one calibration measured (YOLOv5nu)', () => {
  let base: LoadedModel;
  let data: CalibrationData;
  const calibration = () => ({ imageDir: asset('coco128', 'images'), limit: 2 });

  beforeAll(async () => {
    base = optimizeGraph(await loadModel(asset('models', 'yolov5nu_fp32.onnx'))).model;
    data = await calibrateStatic(base, calibration());
  }, 120_000);

  it("quantizes SPPF's last MaxPool with the first two float (the search's crash: 'reading count')", async () => {
    const options = { calibrationData: data, ops: 'all' as const, excludeHead: false, skipStem: false, siluAwareRanges: true, sharedScaleConcats: true };
    const { report } = await quantizeStatic(base, { ...options, exclude: ['/model.9/m/MaxPool', '/model.9/m_1/MaxPool'] });
    expect(report.static.floatNodes.map((f) => f.node)).toEqual(expect.arrayContaining(['/model.9/m/MaxPool', '/model.9/m_1/MaxPool']));
    expect(report.static.floatNodes.map((f) => f.node)).not.toContain('/model.9/m_2/MaxPool');
    // The float MaxPools' outputs take the range of the measured conv output they follow from.
    const source = report.static.activations['/model.9/cv1/act/Mul_output_0']!;
    expect(report.static.activations['/model.9/m_1/MaxPool_output_0']).toMatchObject({ min: source.min, max: source.max });
  }, 120_000);

  it('keeps a tensor without statistics float with a note instead of failing', async () => {
    const stats = new Map(data.stats);
    const gone = '/model.2/cv1/act/Mul_output_0';
    expect(stats.delete(gone)).toBe(true);
    const { report } = await quantizeStatic(base, { calibrationData: { ...data, stats }, ops: 'all', excludeHead: 'decode', skipStem: false });
    const kept = report.static.floatNodes.filter((f) => f.reason.includes('no calibration statistics'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.map((f) => f.node)).toContain('/model.2/cv1/act/Mul');
    expect(report.static.activations[gone]).toBeUndefined();
    expect(report.notes.some((n) => n.includes('no statistics for') && n.includes(gone))).toBe(true);
    expect(report.quantizedNodes).toBeGreaterThan(100);
  }, 120_000);

  it('still refuses statistics collected for another model', async () => {
    const foreign = { ...data, stats: new Map([['not-a-tensor', data.stats.get('images')!]]) };
    await expect(quantizeStatic(base, { calibrationData: foreign })).rejects.toThrow(/collected for a different model/);
  });
});
