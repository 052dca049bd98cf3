import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeTinyModel } from './tiny-model.js';

const dir = tempDir('edgeopt-bench-cli-');
let tiny = '';
beforeAll(async () => {
  tiny = await writeTinyModel(dir.path);
});
afterAll(() => dir.remove());

describe('edgeopt bench', () => {
  it('prints one JSON object with runs, stats and provenance', async () => {
    const r = await runCli(['bench', tiny, '--runs', '3', '--warmup', '1', '--rounds', '1', '--max-runs', '3', '--macs', '1e6', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { runs: Array<Record<string, any>> };
    expect(out.runs).toHaveLength(1);
    const [run] = out.runs;
    expect(run).toMatchObject({ model: tiny, scenario: 'controlled', threads: 1 });
    expect(run!.stats.runs).toBeGreaterThanOrEqual(3);
    expect(run!.stats.p50Ms).toBeGreaterThanOrEqual(run!.stats.minMs);
    expect(run!.plausibility.plausible).toBe(true);
    expect(run!.provenance.run.provider).toBe('cpu');
  });

  it('prints a table for people', async () => {
    const r = await runCli(['bench', tiny, '--runs', '2', '--warmup', '0', '--rounds', '1', '--max-runs', '2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^model\s+scenario\s+thr\s+runs\s+p50 ms/);
    expect(r.stdout).toMatch(/tiny\.onnx\s+controlled\s+1\s+2\s/);
  });

  it.each([
    [['--runs', '0'], /--runs must be an integer from 1/],
    [['--runs', '-5'], /--runs must be an integer/],
    [['--runs', '1e9'], /--runs must be an integer from 1 to 100000/],
    [['--scenario', 'turbo'], /unknown scenario 'turbo'/],
    [['--shape', '1,x,3'], /--shape must be positive integers/],
    [['--runs', '10', '--max-runs', '5'], /--max-runs \(5\) must be at least --runs \(10\)/],
  ])('rejects %j with a one-line error', async (flags, message) => {
    const r = await runCli(['bench', tiny, ...flags]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^edgeopt: error: /);
    expect(r.stdout).toBe('');
  });

  it('fails clearly for a missing model', async () => {
    const r = await runCli(['bench', 'nope.onnx']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/edgeopt: error: model not found: nope\.onnx/);
  });
});

describe('edgeopt diagnose', () => {
  it('prints the profile, findings and the optimized graph as JSON', async () => {
    const r = await runCli(['diagnose', tiny, '--baseline', tiny, '--runs', '2', '--warmup', '1', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.profile.runs).toBe(2);
    expect(out.profile.opTypes.length).toBeGreaterThan(0);
    expect(out.comparison.ops.length).toBeGreaterThan(0);
    expect(out.findings.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects the sweep scenario with a one-line error', async () => {
    const r = await runCli(['diagnose', tiny, '--scenario', 'sweep']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^edgeopt: error: --scenario for diagnose must be controlled or practical/);
  });
});
