import { describe, expect, it } from 'vitest';
import { rotatedOrder } from '../../src/bench/benchmark.js';
import { makeInputTensors, parseShape, resolveInputShape } from '../../src/bench/input.js';
import { checkPlausibility, inferPrecision, peakMacsPerCycle } from '../../src/bench/plausibility.js';
import { parseCpuInfo, relevantIsaFlags } from '../../src/bench/provenance.js';
import { parseScenarios, scenarioRuns } from '../../src/bench/scenarios.js';

describe('scenarios', () => {
  it('controlled is 1 thread, sequential, no mem pattern, no spinning', () => {
    const [run] = scenarioRuns('controlled', 8);
    expect(run).toEqual({
      scenario: 'controlled',
      threads: 1,
      config: { intraOpThreads: 1, interOpThreads: 1, executionMode: 'sequential', enableMemPattern: false, allowSpinning: false },
    });
  });
  it('practical uses every core; sweep covers 1..cores', () => {
    expect(scenarioRuns('practical', 4)[0]!.config.intraOpThreads).toBe(4);
    expect(scenarioRuns('sweep', 3).map((r) => r.threads)).toEqual([1, 2, 3]);
  });
  it('parses names, comma lists and all; rejects unknown ones', () => {
    expect(parseScenarios('all')).toEqual(['controlled', 'practical', 'sweep']);
    expect(parseScenarios('practical,controlled')).toEqual(['practical', 'controlled']);
    expect(() => parseScenarios('fast')).toThrow(/unknown scenario 'fast'/);
  });
});

describe('rotatedOrder', () => {
  it('starts each round one run set later', () => {
    expect(rotatedOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotatedOrder(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotatedOrder(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
  });
});

describe('inputs', () => {
  const image = { name: 'images', type: 'float32', shape: ['batch', 3, 640, 640] as Array<number | string> };
  it('turns symbolic dims into 1 and honours a compatible --shape', () => {
    expect(resolveInputShape(image)).toEqual([1, 3, 640, 640]);
    expect(resolveInputShape(image, [2, 3, 640, 640])).toEqual([2, 3, 640, 640]);
    expect(() => resolveInputShape(image, [1, 3, 320, 320])).toThrow(/fixed size 640 at axis 2/);
    expect(() => resolveInputShape(image, [1, 3, 640])).toThrow(/rank 4/);
  });
  it('generates the same data for the same seed and different data for another', () => {
    const small = [{ name: 'x', type: 'float32', shape: [1, 3, 4, 4] }, { name: 'n', type: 'int64', shape: [2] }];
    const a = makeInputTensors(small, { seed: 1 });
    const b = makeInputTensors(small, { seed: 1 });
    const c = makeInputTensors(small, { seed: 2 });
    expect(a.x!.data).toEqual(b.x!.data);
    expect(a.x!.data).not.toEqual(c.x!.data);
    expect(a.x!.dims).toEqual([1, 3, 4, 4]);
    expect(a.n!.data).toBeInstanceOf(BigInt64Array);
  });
  it('parses --shape and rejects nonsense', () => {
    expect(parseShape('1,3,640,640')).toEqual([1, 3, 640, 640]);
    expect(() => parseShape('1,-3')).toThrow(/--shape/);
    expect(() => parseShape('a,b')).toThrow(/--shape/);
  });
});

describe('provenance readers', () => {
  it('reads model and flags from x86 /proc/cpuinfo', () => {
    const info = parseCpuInfo('processor\t: 0\nmodel name\t: AMD EPYC 9R45\nflags\t\t: fpu sse4_2 avx2 fma f16c avx512f avx512_vnni avx_vnni\n\nprocessor\t: 1\n');
    expect(info.model).toBe('AMD EPYC 9R45');
    expect(relevantIsaFlags(info.flags, 'x64')).toEqual(['sse4_2', 'fma', 'f16c', 'avx2', 'avx512f', 'avx512_vnni', 'avx_vnni']);
  });
  it('reads ARM Features and always reports NEON on arm64', () => {
    const info = parseCpuInfo('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes asimdhp asimddp i8mm\nCPU part\t: 0xd40\n');
    expect(relevantIsaFlags(info.flags, 'arm64')).toEqual(['neon', 'asimd', 'asimddp', 'asimdhp', 'i8mm']);
    expect(relevantIsaFlags([], 'arm64', 'Apple M3')).toEqual(['neon', 'asimd', 'asimddp', 'fphp', 'asimdhp']);
  });
});

describe('plausibility', () => {
  const appleM3 = { arch: 'arm64', flags: relevantIsaFlags([], 'arm64', 'Apple M3') };
  const zen5 = { arch: 'x64', flags: ['fma', 'f16c', 'avx2', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni'] };

  it("flags the published study's 1-thread FP32 figure on an Apple M3 core", () => {
    // 7.7 GFLOP = 3.85 GMAC in 4.12 ms ≈ 935 GMAC/s (≈1.9 TFLOP/s); NEON bound 16 MAC/cycle × 6 GHz = 96.
    const check = checkPlausibility({ macs: 3.85e9, latencyMs: 4.12, threads: 1, cores: 8, isa: appleM3 });
    expect(check.gmacPerSecond).toBeCloseTo(934.5, 0);
    expect(check.peakGmacPerSecond).toBe(96);
    expect(check.plausible).toBe(false);
    expect(check.reason).toMatch(/934 GMAC\/s, above the 96 GMAC\/s fp32 peak of 1 thread/);
  });

  it('accepts ~48 ms for 4 GMAC on one AVX-512 core', () => {
    const check = checkPlausibility({ macs: 4e9, latencyMs: 48, threads: 1, cores: 2, isa: zen5 });
    expect(check.gmacPerSecond).toBeCloseTo(83.3, 1);
    expect(check.peakGmacPerSecond).toBe(192); // 32 FP32 MAC/cycle × 6 GHz
    expect(check.plausible).toBe(true);
    expect(check.reason).toBe('');
  });

  it('scales the bound with usable threads and is more generous for INT8', () => {
    expect(checkPlausibility({ macs: 4e9, latencyMs: 10, threads: 4, cores: 2, isa: zen5 }).peakGmacPerSecond).toBe(384);
    expect(peakMacsPerCycle(zen5, 'int8')).toBe(128);
    expect(peakMacsPerCycle({ arch: 'x64', flags: ['avx2', 'fma'] }, 'fp32')).toBe(16);
    expect(inferPrecision(['Conv', 'ConvInteger', 'DynamicQuantizeLinear'])).toBe('int8');
    expect(inferPrecision(['Conv'], true)).toBe('fp16');
    expect(inferPrecision(['Conv'])).toBe('fp32');
  });
});
