import { describe, expect, it } from 'vitest';
import { parseProfileTrace } from '../../src/bench/trace.js';
import { aggregateTrace } from '../../src/diagnose/aggregate.js';
import { censusChanges, graphCensus } from '../../src/diagnose/census.js';
import { compareProfiles } from '../../src/diagnose/compare.js';
import { findings } from '../../src/diagnose/findings.js';
import type { Profile } from '../../src/diagnose/profile.js';
import { makeGraph, makeModel, makeNode } from '../../src/onnx/builder.js';

const kernel = (name: string, op: string, ts: number, dur: number) => ({
  cat: 'Node', name: `${name}_kernel_time`, ts, dur, ph: 'X', args: { op_name: op, provider: 'CPUExecutionProvider' },
});
const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur, ph: 'X', args: {} });

// Three runs; the first is the warm-up and is much slower (it must not count).
const trace = [
  { cat: 'Session', name: 'session_initialization', ts: 0, dur: 50, ph: 'X', args: {} },
  run(100, 1000), kernel('conv1', 'Conv', 110, 700), kernel('act1', 'Sigmoid', 820, 200),
  run(2000, 500), kernel('conv1', 'Conv', 2010, 300), kernel('act1', 'Sigmoid', 2320, 100), kernel('conv2', 'Conv', 2430, 50),
  run(3000, 400), kernel('conv1', 'Conv', 3010, 250), kernel('act1', 'Sigmoid', 3270, 100), kernel('conv2', 'Conv', 3380, 10),
  { cat: 'Node', name: 'conv1_fence_before', ts: 3005, dur: 1, ph: 'X', args: { op_name: 'Conv' } },
];

describe('aggregateTrace', () => {
  it('drops warm-up runs by model_run boundaries and averages the rest', () => {
    const a = aggregateTrace(parseProfileTrace(trace), 1);
    expect(a.runs).toBe(2);
    expect(a.runMs).toBeCloseTo(0.45, 12); // (500 + 400) / 2 µs
    expect(a.kernelMs).toBeCloseTo(0.405, 12); // (450 + 360) / 2 µs
    expect(a.opTypes.map((o) => o.opType)).toEqual(['Conv', 'Sigmoid']);
    const conv = a.opTypes[0]!;
    expect(conv.msPerRun).toBeCloseTo(0.305, 12); // (300+50+250+10)/2
    expect(conv.count).toBe(2);
    expect(conv.share).toBeCloseTo(610 / 810, 12);
    expect(a.nodes[0]).toMatchObject({ name: 'conv1', opType: 'Conv' });
    expect(a.nodes[0]!.msPerRun).toBeCloseTo(0.275, 12);
  });
  it('refuses a trace with no run left after the warm-up', () => {
    expect(() => aggregateTrace(parseProfileTrace(trace), 3)).toThrow(/not more than the 3 warm-up runs/);
    expect(() => parseProfileTrace({})).toThrow(/not a Chrome-trace/);
  });
});

describe('graph census', () => {
  it('counts op types by domain and lists what changed', () => {
    const before = graphCensus(makeModel(makeGraph({ node: [makeNode('Conv', ['x', 'w'], ['c']), makeNode('Sigmoid', ['c'], ['s']), makeNode('Mul', ['c', 's'], ['y'])] })));
    const after = graphCensus(
      makeModel(makeGraph({ node: [makeNode('Conv', ['x', 'w'], ['c'], {}, { domain: 'com.microsoft.nchwc' }), makeNode('QuickGelu', ['c'], ['y'], {}, { domain: 'com.microsoft' })] })),
    );
    expect(before.nodeCount).toBe(3);
    expect(after.opTypes).toEqual([
      { opType: 'Conv', domain: 'com.microsoft.nchwc', count: 1 },
      { opType: 'QuickGelu', domain: 'com.microsoft', count: 1 },
    ]);
    const changes = censusChanges(before, after);
    expect(changes).toContainEqual({ opType: 'Sigmoid', domain: '', before: 1, after: 0 });
    expect(changes).toContainEqual({ opType: 'QuickGelu', domain: 'com.microsoft', before: 0, after: 1 });
  });
});

function profile(model: string, runMs: number, ops: Array<[string, number, number]>): Profile {
  const kernelMs = ops.reduce((s, [, ms]) => s + ms, 0);
  const census = { nodeCount: 0, opTypes: [] };
  return {
    model, scenario: 'controlled', threads: 1, warmup: 1, runs: 5, provider: 'cpu', failedProviders: [], sessionOptions: {}, runMs, kernelMs,
    opTypes: ops.map(([opType, msPerRun, count]) => ({ opType, msPerRun, count, share: msPerRun / kernelMs })),
    topNodes: [], graph: census, optimizedGraph: census, graphChanges: [],
  };
}

describe('compareProfiles and findings', () => {
  const fp32 = profile('/m/model_fp32.onnx', 50, [['Conv', 40, 76], ['QuickGelu', 3, 69], ['Mul', 0.1, 1]]);
  const int8 = profile('/m/model_int8.onnx', 56, [['ConvInteger', 37, 76], ['QuickGelu', 3, 69], ['DynamicQuantizeLinear', 3, 63], ['Cast', 2, 76], ['Mul', 3.1, 153]]);

  it('compares op by op', () => {
    const c = compareProfiles(int8, fp32);
    expect(c.ratio).toBeCloseTo(56 / 50, 12);
    const mul = c.ops.find((o) => o.opType === 'Mul')!;
    expect(mul).toMatchObject({ variantCount: 153, baselineCount: 1 });
    expect(mul.deltaMs).toBeCloseTo(3, 12);
    expect(c.ops[0]!.opType).toBe('Conv');
  });

  it('derives the headline from the numbers', () => {
    const [headline] = findings({ variant: int8, baseline: fp32, variantLabel: 'dynamic INT8', baselineLabel: 'FP32' });
    expect(headline).toBe(
      'dynamic INT8 is 1.12x slower than FP32 (56.0 vs 50.0 ms): 76 ConvInteger kernels take 37.0 ms (77%) vs 40.0 ms for 76 Conv in FP32 — ' +
        'no integer speedup on this CPU; 63 DynamicQuantizeLinear + 76 Cast + 153 Mul add 8.00 ms',
    );
    const faster = findings({ variant: int8, baseline: fp32, latencyMs: { variant: 25, baseline: 50 } })[0]!;
    expect(faster).toMatch(/^model_int8 is 2\.0x faster than model_fp32 \(25\.0 vs 50\.0 ms\)/);
  });
});
