import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { plannedVariants, VARIANT_PLANS } from '../../src/pipeline/variants.js';
import type { RunResults } from '../../src/results/schema.js';
import { REPO_ROOT } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'edgeopt-run-search-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;
// The built-in model on a machine without ../shared: the CI package check's run, with the smallest search budget.
const fresh = { EDGEOPT_ASSETS: join(work, 'no-such-assets') };
const quick = ['--model', 'default', '--runs', '5', '--rounds', '1', '--warmup', '1', '--scenario', 'controlled', '--no-store', '--quiet'];

describe('the INT8 candidate of edgeopt run comes from the search', () => {
  it('is int8-auto by default; the static presets are there on request', () => {
    expect(plannedVariants(undefined).map((p) => p.name)).toEqual(['fp32', 'fp32-optimized', 'int8-dynamic', 'fp16', 'int8-auto']);
    expect(plannedVariants(['int8-static-full']).map((p) => p.name)).toEqual(['fp32', 'int8-static-full']);
    expect(VARIANT_PLANS.filter((p) => !p.byDefault).map((p) => p.name).every((n) => n.startsWith('int8-static'))).toBe(true);
  });

  it('runs the search, writes the model with its recipe beside it, and shows recipe, trace and chart in the report', async () => {
    const out = join(work, 'auto');
    const r = await runCli(['run', ...quick, '-o', out, '--variants', 'int8-auto', '--budget-min', '0.1'], { timeoutMs: 600_000, env: fresh });
    expect(r.status, r.stderr).toBe(0);
    const res = readResults(out);
    expect(res.status).toBe('complete');
    const s = res.search!;
    // The synthetic model has no accuracy to measure: the search says what it accepted on instead.
    expect(s.accuracyBudget).toMatchObject({ minSqnrDb: 25, why: expect.stringContaining('synthetic') });
    expect(s.budgetMinutes).toBeCloseTo(0.1);
    expect(s.latencyModel.fit.map((f) => f.label)).toContain('probe: all int8');
    expect(s.trace.some((t) => t.phase === 'verify' && t.measuredMs! > 0)).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## INT8 search (int8-auto)');
    expect(report).toContain('### Search trace');
    expect(readFileSync(join(out, 'search.svg'), 'utf8').startsWith('<svg')).toBe(true);
    expect(report).toContain('](search.svg)');
    if (s.verdict === 'found') {
      const variant = res.variants.find((v) => v.name === 'int8-auto')!;
      expect(s.variant).toBe('int8-auto');
      expect(variant.benchmarks.controlled!.p50Ms).toBeGreaterThan(0);
      expect(Object.values(variant.analysis.quantization).some((n) => n > 0)).toBe(true);
      // The recipe: in results.json and beside the model, the same.
      const beside = JSON.parse(readFileSync(join(out, s.recipePath!), 'utf8'));
      expect(beside).toEqual(s.recipe);
      expect(s.recipe!.float.every((f) => f.node && f.reason)).toBe(true);
      expect(report).toContain('### The recipe');
      expect(report).toContain('node(s) stay float');
      expect(r.stdout).toMatch(/int8-auto: the INT8 search chose '.+' .*x, predicted/);
      expect(r.stdout).toContain(`recipe ${s.recipePath}`);
      expect(res.findings.join(' ')).toContain(`The INT8 search wrote int8-auto (recipe ${s.recipePath})`);
    } else {
      // Not an error: nothing written, and the report, the findings and the selection say why.
      expect(existsSync(join(out, 'model_int8_auto.onnx'))).toBe(false);
      expect(res.variants.map((v) => v.name)).toEqual(['fp32']);
      expect(res.findings.join(' ')).toContain('found no INT8 configuration');
      expect(res.selection!.summary).toContain('found no INT8 configuration');
      expect(res.selection!.reasons.find((x) => x.variant === 'int8-auto')!.text).toContain('int8-auto not written: ');
      expect(r.stdout).toContain('int8-auto: not written');
    }
  }, 600_000);

  it('rejects a search flag without the search, in one line', async () => {
    const r = await runCli(['run', ...quick, '-o', join(work, 'never'), '--variants', 'fp16', '--budget-min', '1'], { env: fresh });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toBe('edgeopt: error: --budget-min needs the int8-auto variant (add it to --variants)');
    expect(existsSync(join(work, 'never', 'results.json'))).toBe(false);
  });

  it('on Ctrl-C during the search keeps the best configuration so far, then stops the run (exit 130, partial)', async () => {
    const out = join(work, 'interrupted');
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'run', ...quick.filter((a) => a !== '--quiet'), '-o', out, '--variants', 'int8-auto', '--budget-min', '5'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...fresh },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, signalled whole below: what a terminal's Ctrl-C does (the search's children too).
      detached: true,
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Once the latency model is fitted the search has a configuration to keep.
      if (!sent && stderr.includes('[latency]')) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('finishes with its best configuration so far');
    const res = readResults(out);
    expect(res.status).toBe('partial');
    expect(res.errors.map((e) => e.message)).toContain('interrupted by the user');
    expect(res.search!.interrupted).toBe(true);
    // The best so far was measured before it was kept: fidelity on the held-out samples and the verification benchmark.
    const verified = res.search!.trace.filter((t) => t.phase === 'verify');
    expect(verified.length).toBeGreaterThan(0);
    if (res.search!.verdict === 'found') {
      expect(existsSync(join(out, 'model_int8_auto.onnx'))).toBe(true);
      expect(existsSync(join(out, res.search!.recipePath!))).toBe(true);
    }
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## INT8 search (int8-auto)');
  }, 600_000);
});
