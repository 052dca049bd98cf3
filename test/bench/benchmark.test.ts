import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchmarkModels } from '../../src/bench/benchmark.js';
import { runInChild } from '../../src/bench/child.js';
import { measureHarnessOverhead } from '../../src/bench/overhead.js';
import { controlledConfig } from '../../src/bench/scenarios.js';
import { tempDir, writeTinyModel } from './tiny-model.js';

const dir = tempDir();
let tiny = '';
let corrupt = '';

beforeAll(async () => {
  tiny = await writeTinyModel(dir.path);
  corrupt = join(dir.path, 'corrupt.onnx');
  writeFileSync(corrupt, 'this is not a protobuf');
});
afterAll(() => dir.remove());

describe('benchmarkModels', () => {
  it('pools rounds from fresh child processes into sane statistics with provenance', async () => {
    const events: string[] = [];
    const [result] = await benchmarkModels([tiny], {
      runs: 5,
      warmup: 1,
      rounds: 2,
      maxRuns: 5,
      onProgress: (e) => events.push(`${e.round}:${e.pooledRuns}`),
    });
    expect(result!.error).toBeUndefined();
    const s = result!.stats!;
    expect(s.runs).toBeGreaterThanOrEqual(5);
    expect(result!.timingsMs).toHaveLength(s.runs);
    expect(s.children).toBe(2);
    expect(s.minMs).toBeGreaterThan(0);
    expect(s.p50Ms).toBeGreaterThanOrEqual(s.minMs);
    expect(s.p50Ms).toBeLessThanOrEqual(s.maxMs);
    expect(s.p95Ms).toBeGreaterThanOrEqual(s.p50Ms);
    expect(s.medianCi95[0]).toBeLessThanOrEqual(s.p50Ms);
    expect(s.medianCi95[1]).toBeGreaterThanOrEqual(s.p50Ms);
    expect(s.warmup).toBe(1);
    expect(s.peakRssMb).toBeGreaterThan(10);
    expect(s.sessionCreateMs).toBeGreaterThan(0);
    expect(events).toEqual(['1:3', '2:6']);
    const p = result!.provenance;
    expect(p.cores).toBeGreaterThanOrEqual(1);
    expect(p.runtime.name).toBe('onnxruntime-node');
    expect(p.run?.provider).toBe('cpu');
    expect(p.run?.inputs).toEqual([{ name: 'x', type: 'float32', dims: [1, 3, 32, 32] }]);
    expect(p.run?.sessionOptions).toMatchObject({ intraOpNumThreads: 1, interOpNumThreads: 1, enableMemPattern: false });
    expect(p.run?.gcBetweenRuns).toBe(true);
  });

  it('keeps going after one model fails, recording a clear error for it', async () => {
    const results = await benchmarkModels([corrupt, tiny], { runs: 2, warmup: 0, rounds: 1, maxRuns: 2, inputShape: [2, 3, 32, 32] });
    expect(results[0]!.error).toMatch(/corrupt\.onnx/);
    expect(results[0]!.stats).toBeUndefined();
    expect(results[1]!.error).toBeUndefined();
    expect(results[1]!.provenance.run?.inputs[0]!.dims).toEqual([2, 3, 32, 32]);
  });

  it('kills a child that exceeds the time limit and records it', async () => {
    const [result] = await benchmarkModels([tiny], { runs: 2, warmup: 0, rounds: 1, timeoutMs: 1 });
    expect(result!.error).toMatch(/timed out after 1 ms \(child process killed\)/);
    expect(result!.stats).toBeUndefined();
    expect(result!.partial).toBe(false);
  });

  it('stops at a deadline for the whole call: a child running at it is killed, nothing starts after it', async () => {
    // Two models, one round each: the first child is cut at the deadline, the second never starts.
    const [first, second] = await benchmarkModels([tiny, tiny], { runs: 100_000, warmup: 0, rounds: 1, maxRuns: 100_000, deadline: Date.now() + 1500 });
    expect(first!.error).toMatch(/timed out after .* \(child process killed\)/);
    expect(second!.error).toMatch(/the time limit was reached before this run set started/);
    expect(second!.stats).toBeUndefined();
  });

  it('rejects absurd options with one-line errors', async () => {
    await expect(benchmarkModels([tiny], { runs: 0 })).rejects.toThrow(/runs must be an integer from 1/);
    await expect(benchmarkModels([tiny], { runs: 10, maxRuns: 5 })).rejects.toThrow(/maxRuns/);
    await expect(benchmarkModels([join(dir.path, 'missing.onnx')])).rejects.toThrow(/model not found/);
  });
});

describe('runInChild', () => {
  it('runs each request in its own process', async () => {
    const request = { kind: 'bench' as const, model: tiny, config: controlledConfig(), input: {}, runs: 1, warmup: 0 };
    const a = await runInChild(request, { timeoutMs: 60_000 });
    const b = await runInChild(request, { timeoutMs: 60_000 });
    expect(a.pid).not.toBe(process.pid);
    expect(b.pid).not.toBe(a.pid);
  });

  it('kills a hung child at the time limit', async () => {
    const start = Date.now();
    await expect(runInChild({ kind: 'sleep', ms: 60_000 }, { timeoutMs: 300 })).rejects.toThrow(/sleep: timed out after 300 ms/);
    expect(Date.now() - start).toBeLessThan(30_000);
  });

  it('reports a crashed child as a one-line error', async () => {
    await expect(runInChild({ kind: 'crash', exitCode: 3 }, { timeoutMs: 60_000 })).rejects.toThrow(/crash: measurement process exited with code 3 before reporting/);
  });
});

describe('measureHarnessOverhead', () => {
  it('times the bare loop and the harness loop in one session', async () => {
    const o = await measureHarnessOverhead(tiny, { runs: 8, warmup: 1, blocks: 2 });
    expect(o.runsPerLoop).toBe(8);
    expect(o.bareP50Ms).toBeGreaterThan(0);
    expect(o.harnessP50Ms).toBeGreaterThan(0);
    expect(Number.isFinite(o.medianDiffPct)).toBe(true);
    expect(o.bareWallMsPerRun).toBeGreaterThan(0);
  });
});
