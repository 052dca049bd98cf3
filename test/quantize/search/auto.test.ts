import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, loadModel } from '../../../src/onnx/model-io.js';
import { autoQuantizeFile } from '../../../src/pipeline/auto-quantize.js';
import { asset, hasAssets } from '../../helpers/assets.js';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-auto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const calib = join(dir, 'calib');

describe.skipIf(!hasAssets)('quantize --mode auto', () => {
  const model = asset('zoo', 'yolofastestv2_352.onnx');
  beforeAll(() => {
    mkdirSync(calib);
    for (const f of readdirSync(asset('coco128', 'images')).sort().slice(0, 12)) symlinkSync(asset('coco128', 'images', f), join(calib, f));
  });

  it('fails in one line on missing calibration, a budget without auto and a bad recipe, writing nothing', async () => {
    const out = join(dir, 'never.onnx');
    const cases: Array<[string[], RegExp]> = [
      [['--mode', 'auto'], /--mode auto needs --calib/],
      [['--mode', 'static', '--calib', calib, '--budget-min', '1'], /--budget-min needs --mode auto/],
      [['--mode', 'auto', '--calib', calib, '--budget-min', '0'], /--budget-min/],
      [['--recipe', join(dir, 'missing.json')], /recipe not found/],
    ];
    writeFileSync(join(dir, 'bad.json'), '{"kind":"edgeopt-int8-recipe","schemaVersion":1}');
    cases.push([['--recipe', join(dir, 'bad.json')], /not a valid edgeopt recipe: model must be/]);
    for (const [args, message] of cases) {
      const r = await runCli(['quantize', model, '-o', out, ...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('edgeopt: error:'))).toHaveLength(1);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.onnx'))).toEqual([]);
  });

  it('searches within a tiny budget, says what it measured, and its recipe reproduces the model it wrote', async () => {
    const out = join(dir, 'auto.onnx');
    const steps: string[] = [];
    const result = await autoQuantizeFile(model, out, {
      calib,
      budgetMs: 1000,
      benchRuns: 8,
      practical: false,
      progress: { step: (s) => steps.push(s), tick() {}, warn() {} },
    });
    const s = result.search;
    expect(steps.some((l) => l.includes('held-out'))).toBe(true);
    // The probes always run: the latency model is fitted and compared with what the profiles measured.
    expect(s.latencyModel.fit.map((f) => f.label)).toEqual(['probe: float', 'probe: all int8', 'probe: even units int8', 'probe: odd units int8']);
    for (const f of s.latencyModel.fit) expect(f.profiledMs).toBeGreaterThan(0);
    expect(s.trace.some((t) => t.phase === 'verify' && t.measuredMs! > 0)).toBe(true);
    // `--mode static` as it ships is always verified beside the search's own candidates: never worse than it.
    expect(s.trace.some((t) => t.phase === 'verify' && t.label === 'static-mode defaults')).toBe(true);
    // No decoder resolves for this model without flags: the search says it steers on SQNR, and why.
    expect(s.steering).toMatch(/^output SQNR per channel against FP32 \(no detection agreement: no decoder fits/);
    expect(steps.some((l) => l.startsWith('search: steering on output SQNR'))).toBe(true);
    expect(s.fp32.p50Ms).toBeGreaterThan(0);
    expect(s.interrupted).toBe(true);
    if (s.verdict === 'found') {
      // Never a slower model: what was written measured faster than FP32 side by side.
      expect(s.chosen!.latency.p50Ms).toBeLessThan(s.fp32.p50Ms);
      const recipePath = result.recipePath!;
      const recipe = JSON.parse(readFileSync(recipePath, 'utf8'));
      expect(recipe.kind).toBe('edgeopt-int8-recipe');
      expect(recipe.measured.fp32Ms).toBeCloseTo(s.fp32.p50Ms);
      const again = join(dir, 'again.onnx');
      const r = await runCli(['quantize', model, '-o', again, '--recipe', recipePath, '-q']);
      expect(r.status, r.stderr).toBe(0);
      const graphOf = async (p: string) => Buffer.from(encodeModel({ ...(await loadModel(p)), metadataProps: [] }));
      expect((await graphOf(again)).equals(await graphOf(out))).toBe(true);
    } else {
      // No INT8 configuration beat FP32 here: nothing written, and the reason names the measurement.
      expect(readdirSync(dir).includes('auto.onnx')).toBe(false);
      expect(s.reason).toMatch(/FP32|accuracy/);
    }
  }, 600_000);
});
