import type { BenchStats } from '../../src/bench/benchmark.js';
import type { RunResults, VariantResult } from '../../src/results/schema.js';

/** Latency stats around a median, shaped like the benchmarker's output. */
export function stats(p50: number): BenchStats {
  return {
    runs: 100, meanMs: p50 * 1.01, stdMs: p50 * 0.02, minMs: p50 * 0.95, maxMs: p50 * 1.2, p5Ms: p50 * 0.97, p25Ms: p50 * 0.99,
    p50Ms: p50, p75Ms: p50 * 1.01, p95Ms: p50 * 1.05, p99Ms: p50 * 1.1, fps: 1000 / (p50 * 1.01), cv: 0.02, iqrMs: p50 * 0.02,
    outliers: 2, medianCi95: [p50 * 0.99, p50 * 1.01], ciHalfWidthRel: 0.01, warmup: 10, sessionCreateMs: 50, firstRunMs: p50 * 2,
    peakRssMb: 200, capHit: false, children: 3, targetCiRel: 0.02,
  };
}

export function variant(name: string, p50: number, sizeMb: number, map?: number): VariantResult {
  return {
    name,
    description: name,
    path: `${name}.onnx`,
    sizeBytes: sizeMb * 1e6,
    analysis: { nodes: 262, parameters: 2_650_000, parameterBytes: sizeMb * 1e6, macs: 4.1e9, opCounts: { Conv: 76 }, quantization: {} },
    benchmarks: { controlled: stats(p50), practical: stats(p50 * 0.7), practicalThreads: 2 },
    accuracy: map === undefined ? undefined : { images: 128, map50: map + 0.15, map50_95: map, precision: 0.6, recall: 0.5 },
    errors: [],
  };
}

export function results(variants: VariantResult[], flags: string[] = ['avx2', 'avx512f', 'avx512_vnni']): RunResults {
  return {
    schemaVersion: 1,
    tool: { name: 'edgeopt', version: '0.1.0' },
    createdAt: '2026-11-27T00:00:00.000Z',
    status: 'complete',
    environment: { cpuModel: 'Test CPU', cores: 2, isa: { arch: 'x64', flags }, os: 'linux', node: 'v20', runtime: { name: 'onnxruntime-node', version: '1.30.0' } },
    model: { source: 'test.onnx', name: 'test', synthetic: false, notes: [] },
    settings: { runs: 100, warmup: 10, rounds: 3, scenarios: ['controlled', 'practical'], skipped: [] },
    variants,
    findings: ['int8-dynamic is 1.10x slower than FP32'],
    errors: [],
  };
}
