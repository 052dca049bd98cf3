import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the demo page (type-checked by tsconfig.web.json, not here)
import { baselineVariant, comparisonRows, deviceLabel } from '../../web/results-table.js';
// @ts-expect-error plain JavaScript of the demo page
import { benchmarkConfigs } from '../../web/benchmark.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const EDGE = `${CHROME} Edg/150.0.0.0`;

describe('web/results-table.js and web/benchmark.js (pure parts of the demo page)', () => {
  it('compares with the FP32 variant, else the first', () => {
    expect(baselineVariant(['int8', 'model_fp32', 'fp16'])).toBe('model_fp32');
    expect(baselineVariant(['int8', 'fp16'])).toBe('int8');
  });

  it('names the browser from its user agent, Edge before the Chrome it also claims to be', () => {
    expect(deviceLabel({ userAgent: CHROME, platform: 'Linux', hardwareConcurrency: 2 })).toBe('Chrome 150 · Linux · 2 cores');
    expect(deviceLabel({ userAgent: EDGE, hardwareConcurrency: 8 })).toBe('Edge 150 · 8 cores');
  });

  it('puts each variant beside the baseline of the same device and configuration', () => {
    const device = { userAgent: CHROME, hardwareConcurrency: 2 };
    const rows = comparisonRows(
      [{
        receivedAt: '2025-01-01T00:00:00Z',
        device,
        results: [
          { variant: 'fp32', backend: 'wasm', threads: 1, runs: 10, p50Ms: 40, meanMs: 40, p95Ms: 41 },
          { variant: 'int8', backend: 'wasm', threads: 1, runs: 10, p50Ms: 20, meanMs: 20, p95Ms: 21 },
          { variant: 'int8', backend: 'wasm', threads: 2, runs: 10, p50Ms: 12, meanMs: 12, p95Ms: 13 },
        ],
        failures: [{ variant: 'fp32', backend: 'webgpu', threads: 1, error: 'no ConvInteger kernel' }],
      }],
      ['fp32', 'int8'],
    );
    expect(rows.map((r: { backend: string; threads: number }) => `${r.backend}/${r.threads}`)).toEqual(['wasm/1', 'wasm/2', 'webgpu/1']);
    expect(rows[0].cells).toEqual([{ p50Ms: 40, ratio: 1, text: '40.0 ms (×1.00)' }, { p50Ms: 20, ratio: 0.5, text: '20.0 ms (×0.50)' }]);
    expect(rows[2].cells[0]).toEqual({ text: 'failed', title: 'no ConvInteger kernel' });
    // No baseline measured at 2 threads: no ratio is invented.
    expect(rows[1].cells).toEqual([{ text: '—' }, { p50Ms: 12, ratio: undefined, text: '12.0 ms' }]);
  });

  it('plans wasm 1 thread always, all cores only when isolated, WebGPU only when present', () => {
    expect(benchmarkConfigs({ hardwareConcurrency: 4, isolated: false, webgpu: false })).toEqual([{ backend: 'wasm', threads: 1 }]);
    expect(benchmarkConfigs({ hardwareConcurrency: 4, isolated: true, webgpu: true })).toEqual([
      { backend: 'wasm', threads: 1 },
      { backend: 'wasm', threads: 4 },
      { backend: 'webgpu', threads: 1 },
    ]);
  });
});
