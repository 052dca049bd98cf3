import { describe, expect, it } from 'vitest';
import { convBnAct } from '../../src/models/blocks/conv.js';
import { GraphContext, scopePath } from '../../src/models/graph-context.js';
import { tensorMapWeightSource, type WeightTensor } from '../../src/models/weights.js';
import { makeGraph, makeModel, makeValueInfo } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/types.js';
import { runModel } from '../convert/model-run.js';

/** Conv2d (no bias, stride 1, 'same' padding) + BatchNorm + SiLU computed directly, as torch's unfused module does. */
function referenceConvBnSilu(x: Float32Array, c1: number, h: number, w: number, p: Record<string, Float32Array>, c2: number, k: number, eps: number): Float32Array {
  const out = new Float32Array(c2 * h * w);
  const pad = Math.floor(k / 2);
  for (let o = 0; o < c2; o++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let acc = 0;
        for (let c = 0; c < c1; c++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const iy = y + ky - pad;
              const ix = xx + kx - pad;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += x[(c * h + iy) * w + ix]! * p.weight![((o * c1 + c) * k + ky) * k + kx]!;
            }
          }
        }
        const bn = ((acc - p.mean![o]!) / Math.sqrt(p.var![o]! + eps)) * p.gamma![o]! + p.beta![o]!;
        out[(o * h + y) * w + xx] = bn / (1 + Math.exp(-bn));
      }
    }
  }
  return out;
}

describe('Conv block', () => {
  it('folds a non-trivial BatchNorm into the conv exactly (eps from the checkpoint)', async () => {
    const [c1, c2, k, h, w, eps] = [3, 4, 3, 5, 6, 1e-3];
    const wave = (n: number, f: number, scale = 1, offset = 0) => Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(f * (i + 1)));
    const params = {
      weight: wave(c2 * c1 * k * k, 0.7, 0.3),
      gamma: wave(c2, 1.3, 0.3, 0.8),
      beta: wave(c2, 2.1, 0.1),
      mean: wave(c2, 0.9, 0.4),
      var: wave(c2, 1.7, 0.02, 0.05),
    };
    const tensors = new Map<string, WeightTensor>([
      ['m.conv.weight', { data: params.weight, shape: [c2, c1, k, k] }],
      ['m.bn.weight', { data: params.gamma, shape: [c2] }],
      ['m.bn.bias', { data: params.beta, shape: [c2] }],
      ['m.bn.running_mean', { data: params.mean, shape: [c2] }],
      ['m.bn.running_var', { data: params.var, shape: [c2] }],
    ]);
    const ctx = new GraphContext({ opset: 17, dynamicBatch: false, weights: tensorMapWeightSource(tensors, { bnEps: new Map([['m.bn', eps]]) }) });
    const y = convBnAct(ctx, 'm', { name: 'images', channels: c1, height: h, width: w }, { c2, k });
    expect(ctx.params).toBe(c2 * c1 * k * k + 2 * c2);
    expect(ctx.nodes.map((n) => n.opType)).toEqual(['Conv', 'Sigmoid', 'Mul']);
    ctx.nodes[ctx.nodes.length - 1]!.output[0] = 'output0';
    const graph = makeGraph({
      node: ctx.nodes,
      initializer: ctx.initializers,
      input: [makeValueInfo('images', DataType.FLOAT, [1, c1, h, w])],
      output: [makeValueInfo('output0', DataType.FLOAT, [1, y.channels, y.height, y.width])],
    });
    const x = Float32Array.from({ length: c1 * h * w }, (_, i) => Math.cos(0.37 * i));
    const out = await runModel(makeModel(graph, { opset: 17 }), x, [1, c1, h, w]);
    const expected = referenceConvBnSilu(x, c1, h, w, params, c2, k, eps);
    out.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('names the layer when a weight has the wrong shape', () => {
    const tensors = new Map<string, WeightTensor>([['m.conv.weight', { data: new Float32Array(8), shape: [8, 1, 1, 1] }]]);
    const ctx = new GraphContext({ opset: 17, dynamicBatch: false, weights: tensorMapWeightSource(tensors) });
    ctx.layer = 'layer 3 (Conv)';
    expect(() => convBnAct(ctx, 'm', { name: 'x', channels: 2, height: 4, width: 4 }, { c2: 8, k: 1 })).toThrow(
      "layer 3 (Conv) m: 'm.conv.weight' has shape [8,1,1,1] but the architecture expects [8,2,1,1]",
    );
  });

  it('scopes node names like the torch exporter', () => {
    expect(scopePath('model.2.m.0.cv1')).toBe('model.2/m.0/cv1');
    expect(scopePath('model.23.cv3.0.0.0.conv')).toBe('model.23/cv3.0.0.0/conv');
  });
});
