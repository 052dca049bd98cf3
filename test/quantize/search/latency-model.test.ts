import { describe, expect, it } from 'vitest';
import { attributeKernel, fastestConfiguration, fitLatencyModel, predictLatency, type ProbeProfile } from '../../../src/quantize/search/latency-model.js';
import type { UnitGraph } from '../../../src/quantize/search/units.js';
import type { GraphProto } from '../../../src/onnx/types.js';

// A chain of three units a → b → c; b is slower in int8 (like a 3-channel stem), a and c faster.
const graph = { node: [{ name: 'a', output: ['ta'] }, { name: 'b', output: ['tb'] }, { name: 'c', output: ['tc'] }] } as unknown as GraphProto;
const units: UnitGraph = {
  units: [
    { id: 0, nodes: ['a'], opType: 'Conv', outputs: ['ta'] },
    { id: 1, nodes: ['b'], opType: 'Conv', outputs: ['tb'] },
    { id: 2, nodes: ['c'], opType: 'Conv', outputs: ['tc'] },
  ],
  unitOf: new Map([['a', 0], ['b', 1], ['c', 2]]),
  fixedFloat: [],
  edges: [
    { tensor: 'in', producer: -1, consumers: [0], elements: 1000 },
    { tensor: 'ta', producer: 0, consumers: [1], elements: 1000 },
    { tensor: 'tb', producer: 1, consumers: [2], elements: 1000 },
    { tensor: 'tc', producer: 2, consumers: [-1], elements: 1000 },
  ],
};
const floatMs = [4, 1, 4];
const int8Ms = [2, 1.5, 2];
const perElement = 0.0005; // ms per element, both ways
/** A profile as onnxruntime would report it for a configuration (with its renamed kernels). */
function profile(label: string, int8: number[]): ProbeProfile {
  const kernels = [0, 1, 2].map((u) => ({ name: int8.includes(u) ? `${'abc'[u]}_token_3` : 'abc'[u]!, opType: int8.includes(u) ? 'QLinearConv' : 'Conv', ms: int8.includes(u) ? int8Ms[u]! : floatMs[u]! }));
  let boundaries = 0;
  for (const e of units.edges) {
    const p = e.producer >= 0 && int8.includes(e.producer);
    if (p && e.consumers.some((c) => c < 0 || !int8.includes(c))) boundaries += e.elements;
    if (!p && e.consumers.some((c) => c >= 0 && int8.includes(c))) boundaries += e.elements;
  }
  kernels.push({ name: 'q', opType: 'QuantizeLinear', ms: boundaries * perElement });
  return { label, int8, kernels };
}

describe('latency model from profiles', () => {
  it('attributes renamed kernels back to their nodes', () => {
    const names = new Set(['/m/conv', '/m/act']);
    expect(attributeKernel({ name: '/m/conv_token_12', opType: 'QLinearConv', ms: 1 }, names, new Map())).toBe('/m/conv');
    expect(attributeKernel({ name: '/m/act/QuickGeluFusion/', opType: 'QuickGelu', ms: 1 }, names, new Map())).toBe('/m/act');
    expect(attributeKernel({ name: 'x_nchwc', opType: 'Conv', ms: 1 }, names, new Map([['x', '/m/conv']]))).toBe('/m/conv');
    expect(attributeKernel({ name: 'unrelated', opType: 'Transpose', ms: 1 }, names, new Map())).toBeUndefined();
  });

  it('learns unit and boundary costs, predicts the probes, and keeps a unit float where int8 does not pay', () => {
    const model = fitLatencyModel(graph, units, { float: profile('float', []), int8: profile('int8', [0, 1, 2]), mixed: [profile('even', [0, 2]), profile('odd', [1])] });
    expect(model.int8Cost[0]).toBeCloseTo(2);
    expect(model.floatCost[1]).toBeCloseTo(1);
    expect(model.perElement.toInt8).toBeCloseTo(perElement, 6);
    for (const f of model.fit) expect(f.predictedMs).toBeCloseTo(f.profiledMs, 6);
    // All int8: 5.5 ms + 2 boundaries (1 ms) = 6.5; b float costs 0.5 less but adds 2 boundaries (1 ms): stays int8.
    expect([...fastestConfiguration(model, units)].sort()).toEqual([0, 1, 2]);
    expect(predictLatency(model, units, new Set([0, 1, 2]))).toBeCloseTo(6.5);
    expect(predictLatency(model, units, new Set())).toBeCloseTo(9);
  });
});
