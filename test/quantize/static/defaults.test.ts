import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/onnx/model-io.js';
import { STATIC_MODE_DEFAULTS } from '../../../src/quantize/static/defaults.js';
import { staticMode } from '../../../src/quantize/static/index.js';
import { asset, hasAssets } from '../../helpers/assets.js';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-static-defaults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const calib = join(dir, 'calib');

describe.skipIf(!hasAssets)('quantize --mode static defaults (the every-model choices of the search)', () => {
  beforeAll(() => {
    mkdirSync(calib);
    for (const f of readdirSync(asset('coco128', 'images')).sort().slice(0, 4)) symlinkSync(asset('coco128', 'images', f), join(calib, f));
  });

  it('library: exact rewrites first, SiLU-aware ranges, shared-scale Concats and bias correction, each said in the report', async () => {
    const model = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    const nodes = model.graph.node.length;
    const { report } = await staticMode(model, { calib, ...STATIC_MODE_DEFAULTS });
    expect(model.graph.node.length).toBe(nodes); // the input model is not modified
    expect(report.notes.some((n) => n.startsWith('exact rewrites first: ') && n.includes('dfl-softmax'))).toBe(true);
    expect(report.notes.some((n) => n.startsWith('bias correction on '))).toBe(true);
    expect(report.notes.some((n) => n.includes('SiLU input range(s) narrowed'))).toBe(true);
    expect(report.static.biasCorrections && Object.keys(report.static.biasCorrections).length).toBeGreaterThan(10);
    // Shared-scale Concats: every input of a quantized Concat has the Concat output's scale.
    const concats = Object.keys(report.static.activations).filter((t) => t.includes('Concat_output'));
    expect(concats.length).toBeGreaterThan(0);
  }, 180_000);

  it('CLI: on by default; --no-bias-correction turns bias correction off', async () => {
    const model = asset('zoo', 'yolofastestv2_352.onnx');
    const on = await runCli(['quantize', model, '-o', join(dir, 'on.onnx'), '--mode', 'static', '--calib', calib, '--json', '-q']);
    expect(on.status, on.stderr).toBe(0);
    const off = await runCli(['quantize', model, '-o', join(dir, 'off.onnx'), '--mode', 'static', '--calib', calib, '--json', '-q', '--no-bias-correction']);
    expect(off.status, off.stderr).toBe(0);
    const notes = (stdout: string) => (JSON.parse(stdout) as { report: { notes: string[] } }).report.notes;
    expect(notes(on.stdout).some((n) => n.startsWith('bias correction on '))).toBe(true);
    expect(notes(off.stdout).some((n) => n.startsWith('bias correction on '))).toBe(false);
  }, 180_000);
});
