import { describe, expect, it } from 'vitest';
import { renderCharts } from '../../src/report/charts.js';
import { renderSearchSection, searchCandidates } from '../../src/report/search.js';
import type { SearchRecord } from '../../src/results/schema.js';

// A search record shaped as the search writes it (the run test checks a real one end to end; here both verdicts).
const fidelity = (score: number) => ({ score, sqnrDb: score - 1 });
const base: SearchRecord = {
  verdict: 'none',
  reason: 'no INT8 configuration measured faster than FP32 (7.1 ms at 1 thread; best 7.4 ms): the profile shows 40 of 137 units slower in int8',
  fp32: { p50Ms: 7.1 },
  trace: [
    { step: 1, phase: 'probe', label: 'probe: float', predictedMs: 7.7, note: 'profiled 10.9 ms' },
    { step: 2, phase: 'latency', label: 'fastest predicted configuration', floatUnits: 95, predictedMs: 6.8 },
    { step: 3, phase: 'recovery', label: 'fastest', floatUnits: 95, predictedMs: 6.8, fidelity: fidelity(35.7) },
    { step: 4, phase: 'harm', label: 'units 0–11 float', floatUnits: 100, predictedMs: 7.0, fidelity: fidelity(36.1) },
    { step: 5, phase: 'verify', label: 'fastest', predictedMs: 6.8, measuredMs: 7.4, note: '0.96x FP32 (7.1 ms)' },
  ],
  latencyModel: { units: 137, fit: [{ label: 'probe: float', predictedMs: 7.7, profiledMs: 10.9 }], perElement: { toInt8: 1.16e-6, toFloat: 1.16e-6 }, fixedMs: 0.4 },
  interrupted: false,
  seconds: 288,
  accuracyBudget: { minSqnrDb: 25, why: 'no labelled data' },
  budgetMinutes: 10,
};

describe('the INT8 search in report.md', () => {
  it('says when nothing was worth shipping, and still shows the latency model and the whole trace', async () => {
    const md = renderSearchSection(base, (f) => `![${f}](${f})`);
    expect(md).toContain('**No INT8 configuration worth shipping:** no INT8 configuration measured faster than FP32');
    expect(md).toContain('output SQNR ≥ 25 dB against FP32 (no labelled data)');
    expect(md).not.toContain('### The recipe');
    expect(md).toContain('| probe: float | 7.7 ms | 10.9 ms |');
    expect(md.match(/^\| \d+ \| /gm)).toHaveLength(base.trace.length);
    // One point per candidate; the verified one has both its prediction and its measurement.
    const points = searchCandidates(base);
    expect(points.map((p) => p.label)).toEqual(['fastest', 'units 0–11 float']);
    expect(points[0]).toMatchObject({ predictedMs: 6.8, measuredMs: 7.4, sqnrDb: 35.7, phase: 'verify', chosen: false });
  });

  it('shows the chosen recipe: float nodes with their reasons, per-tensor calibration, bias correction, and the chart', async () => {
    const found: SearchRecord = {
      ...base,
      verdict: 'found',
      reason: 'fastest: 1.9x faster than FP32 at 1 thread, mAP50-95 drop 0.21',
      variant: 'int8-auto',
      recipePath: 'model_int8_auto.recipe.json',
      chosen: { label: 'fastest', latency: { p50Ms: 3.7 }, predictedMs: 6.8, speedup: 1.92, fidelity: fidelity(35.7), accuracy: { fp32Map: 38.4, map: 38.2, drop: 0.21, ci: [-0.05, 0.5], images: 128 } },
      accuracyBudget: { maxDrop: 0.3, evalData: 'coco_val128' },
      trace: [...base.trace, { step: 6, phase: 'accuracy', label: 'fastest', measuredMs: 3.7, accuracy: { fp32Map: 38.4, map: 38.2, drop: 0.21, ci: [-0.05, 0.5], images: 128 } }],
      recipe: {
        schemaVersion: 1,
        kind: 'edgeopt-int8-recipe',
        model: { name: 'm.onnx', nodes: 10 },
        rewrites: ['dfl-softmax'],
        activationType: 'uint8',
        perChannel: true,
        calibration: { method: 'percentile', percentile: 99.999, overrides: { t7: { method: 'mse' } }, samples: 112 },
        siluAwareRanges: true,
        sharedScaleConcats: true,
        float: [{ node: 'Conv_0', reason: 'faster in float here' }, { node: 'Sigmoid_9', reason: 'detection head (decoding)' }],
        biasCorrections: { Conv_3: [0.1, -0.2] },
        tensors: { t7: { method: 'mse', min: 0, max: 4.5 } },
      },
    };
    const md = renderSearchSection(found, (f) => `![${f}](${f})`);
    expect(md).toContain('**Found:** fastest: 1.9x faster');
    expect(md).toContain('drop 0.21 points (95% bootstrap CI -0.05 to 0.50)');
    expect(md).toContain('--recipe model_int8_auto.recipe.json');
    expect(md).toContain('| Conv_0 | faster in float here |');
    expect(md).toContain('| t7 | mse | 0.000 … 4.500 |');
    expect(md).toContain("1 convolutions' biases shifted");
    expect(md).toContain('![search.svg](search.svg)');
    // The trace's column is the change (candidate − FP32): its interval too.
    expect(md).toContain('| 6 | accuracy | fastest | – | – | 3.7 ms | – | −0.21 [−0.50, +0.05] |');
    const charts = await renderCharts({ variants: [], devices: [], search: found } as never);
    const chart = charts.find((c) => c.file === 'search.svg')!;
    expect(chart.svg.startsWith('<svg')).toBe(true);
    expect(chart.svg).toContain('chosen: fastest');
    expect(chart.svg).toContain('mAP −0.21');
  });
});
