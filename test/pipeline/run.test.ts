import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROUNDS, DEFAULT_RUNS, DEFAULT_WARMUP } from '../../src/bench/benchmark.js';
import { RUN_DEFAULTS } from '../../src/pipeline/defaults.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { runSettings } from '../../src/pipeline/stages/prepare.js';
import type { RunResults } from '../../src/results/schema.js';
import { silentProgress } from '../../src/util/progress.js';
import { TOOL_VERSION } from '../../src/util/version.js';
import { asset, hasAssets, REPO_ROOT } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'edgeopt-run-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const quick = ['--runs', '6', '--rounds', '1', '--warmup', '1', '--scenario', 'controlled', '--quiet'];
const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;

describe.skipIf(!hasAssets)('edgeopt run on the study model', () => {
  const out = join(work, 'study');
  // One real run serves the tests that read it, whichever of them runs first (or alone, with -t): each awaits it.
  let study: ReturnType<typeof runCli> | undefined;
  const studyRun = () => (study ??= runCli(['run', '-o', out, ...quick, '--eval-images', '4', '--calib-images', '8', '--variants', 'int8-dynamic,int8-static-full'], { timeoutMs: 300_000 }));

  it('builds, evaluates, benchmarks, profiles and selects, writing results.json, report.md and charts', async () => {
    const r = await studyRun();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = readResults(out);
    expect(results.schemaVersion).toBe(1);
    expect(results.status).toBe('complete');
    expect(results.model.synthetic).toBe(false);
    expect(results.variants.map((v) => v.name)).toEqual(['fp32', 'int8-dynamic', 'int8-static-full']);
    // The data's quality is recorded once for each data set (no bad files in the shared sets).
    expect(results.dataQuality?.eval).toMatchObject({ images: { total: 4, skipped: 0 }, labels: { skipped: 0 } });
    expect(results.dataQuality?.calibration).toMatchObject({ images: { total: 8, skipped: 0 } });
    for (const v of results.variants) {
      expect(existsSync(join(out, v.path))).toBe(true);
      expect(v.benchmarks.controlled!.p50Ms).toBeGreaterThan(0);
      expect(v.benchmarks.controlled!.runs).toBeGreaterThanOrEqual(6);
      expect(v.profile!.opTypes.length).toBeGreaterThan(3);
      expect(v.accuracy!.images).toBe(4);
      expect(v.plausibility!.plausible).toBe(true);
    }
    const dynamic = results.variants[1]!;
    expect(dynamic.analysis.quantization.ConvInteger).toBe(76);
    expect(dynamic.analysis.quantization.DynamicQuantizeLinear).toBe(63);
    expect(dynamic.profile!.opTypes[0]!.opType).toBe('ConvInteger');
    expect(results.variants[2]!.fidelity!.cosine).toBeGreaterThan(0.99);
    expect(results.variants[2]!.fidelity!.detectionF1).toBeGreaterThan(0.5);
    expect(results.contract).toMatchObject({ decoder: 'ultralytics' });
    expect(results.accuracyCheck).toMatchObject({ fits: true, images: 4 });
    expect(results.variants.every((v) => v.accuracyStatus === 'measured')).toBe(true);
    expect(results.findings.some((f) => f.includes('ConvInteger') && f.includes('DynamicQuantizeLinear'))).toBe(true);
    expect(results.selection?.chosen).toBeDefined();
    expect(results.environment.isa.flags.length).toBeGreaterThan(0);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const heading of ['## Model analysis', '## Variants and size', '## Latency: controlled', '## Where the time goes', '## Accuracy', '## Findings', '## Selection', '## Provenance']) {
      expect(report).toContain(heading);
    }
    for (const chart of ['size.svg', 'latency.svg', 'ops.svg', 'pareto.svg']) {
      expect(readFileSync(join(out, chart), 'utf8').startsWith('<svg')).toBe(true);
      expect(report).toContain(`](${chart})`);
    }
    expect(r.stdout).toContain('int8-static-full');
    expect(r.stdout).toContain('wrote');
  }, 300_000);

  it('select explains its choice under constraints, from the same results.json', async () => {
    expect((await studyRun()).status).toBe(0);
    const r = await runCli(['select', join(out, 'results.json'), '--max-size-mb', '5', '--json']);
    expect(r.status).toBe(0);
    const selection = JSON.parse(r.stdout);
    expect(selection.reasons.find((x: { variant: string }) => x.variant === 'fp32').text).toContain('exceeds 5 MB');
    const none = await runCli(['select', join(out, 'results.json'), '--max-latency-ms', '0.01']);
    expect(none.status).toBe(3);
    expect(none.stdout).toContain('no variant meets');
  }, 300_000);

  it('converts a .pt given as --model', async () => {
    const dir = join(work, 'pt');
    const r = await runCli(['run', '--model', asset('models', 'yolov5n.pt'), '-o', dir, ...quick, '--no-eval', '--no-calib', '--variants', 'int8-dynamic'], { timeoutMs: 300_000 });
    expect(r.status).toBe(0);
    const res = readResults(dir);
    expect(res.model.notes.join(' ')).toMatch(/Converted from yolov5n\.pt/);
    expect(res.variants.map((v) => v.name)).toEqual(['fp32', 'int8-dynamic']);
    expect(res.settings.skipped.join(' ')).toContain('static INT8');
  }, 300_000);
});

describe('edgeopt run on a fresh machine (no shared assets)', () => {
  it('falls back to the built-in synthetic model, labels it, and says what it skipped', async () => {
    const out = join(work, 'fresh');
    const r = await runCli(['run', '-o', out, ...quick, '--variants', 'int8-dynamic,int8-static-full', '--calib-images', '2'], {
      timeoutMs: 300_000,
      env: { EDGEOPT_ASSETS: join(work, 'no-such-assets') },
    });
    expect(r.status).toBe(0);
    const res = readResults(out);
    expect(res.model.synthetic).toBe(true);
    expect(res.model.name).toContain('synthetic');
    expect(res.settings.skipped.join(' ')).toContain('accuracy (synthetic weights)');
    expect(res.variants.map((v) => v.name)).toEqual(['fp32', 'int8-dynamic', 'int8-static-full']);
    expect(res.variants.every((v) => v.accuracy === undefined)).toBe(true);
    expect(res.model.notes.join(' ')).toContain('seeded noise');
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('Synthetic weights');
    expect(r.stdout).toContain('synthetic weights: latency only');
  }, 300_000);
});

describe('runPipeline from code: the library checks what the CLI checks', () => {
  it('rejects an unknown variant with the CLI\'s line, before writing anything', async () => {
    const out = join(work, 'api-bad-variant');
    const expected = /^unknown variant 'int9' \(choose from fp32, fp32-optimized, int8-dynamic/;
    await expect(runPipeline({ outDir: out, variants: ['int9'], progress: silentProgress })).rejects.toThrow(expected);
    expect(existsSync(out)).toBe(false);
    const r = await runCli(['run', '-o', out, '--variants', 'int9']);
    expect(r.stderr.trim()).toMatch(new RegExp(`^edgeopt: error: ${expected.source.slice(1)}`));
  });

  it('fills in the library defaults, the benchmark\'s own', () => {
    const s = runSettings({ outDir: 'x', progress: silentProgress });
    expect(s).toMatchObject({ runs: DEFAULT_RUNS, warmup: DEFAULT_WARMUP, rounds: DEFAULT_ROUNDS, scenarios: ['controlled', 'practical'], profileRuns: RUN_DEFAULTS.profileRuns });
  });

  it('stamps one version, the one in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});

describe('edgeopt run: bad input and interruption', () => {
  it('rejects a missing model and absurd flags with one line and no results', async () => {
    const out = join(work, 'bad');
    for (const args of [['--model', join(work, 'missing.onnx')], ['--runs', '0'], ['--variants', 'int9'], ['--scenario', 'fast']]) {
      const r = await runCli(['run', '-o', out, ...args]);
      expect(r.status).not.toBe(0);
      const errors = r.stderr.split('\n').filter((line) => line.includes('error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^edgeopt: error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(join(out, 'results.json'))).toBe(false);
    }
  });

  it('on Ctrl-C keeps the results so far, marked partial, and exits 130', async () => {
    const out = join(work, 'interrupted');
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'run', '-o', out, '--model', 'default', '--runs', '2000', '--rounds', '1', '--scenario', 'controlled', '--variants', 'int8-dynamic'], {
      cwd: REPO_ROOT,
      env: { ...process.env, EDGEOPT_ASSETS: join(work, 'no-such-assets') },
    });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('benchmarking') && !child.killed) setTimeout(() => child.kill('SIGINT'), 1500);
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
    const res = readResults(out);
    expect(res.status).toBe('partial');
    expect(res.variants.map((v) => v.name)).toEqual(['fp32', 'int8-dynamic']);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  }, 300_000);
});
