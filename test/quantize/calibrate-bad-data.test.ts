import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyModel } from '../bench/tiny-model.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { buildDataset } from '../helpers/corrupt-images.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { calibrateStatic } from '../../src/quantize/static/index.js';

describe.skipIf(!hasAssets)('calibration folders with unreadable images', () => {
  let dir: string;
  let model: string;
  let images: string;
  let broken: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-calib-bad-'));
    model = await writeTinyModel(dir);
    const names = readdirSync(asset('coco128', 'images')).sort().slice(0, 8);
    broken = await buildDataset(join(dir, 'calib'), { imagesDir: asset('coco128', 'images'), names }, 3);
    images = join(dir, 'calib', 'images');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('skips each with a warning, replaces it within --calib-limit, and counts it', async () => {
    const warnings: string[] = [];
    const progress = { step() {}, tick() {}, warn: (l: string) => warnings.push(l) };
    const data = await calibrateStatic(await loadModel(model), { imageDir: images, limit: 4, quality: { maxBad: 0.5, onWarning: (l) => progress.warn(l) } });
    expect(warnings).toHaveLength(3);
    broken.forEach((file, i) => expect(warnings[i]).toMatch(new RegExp(`^${file}: .*; image skipped$`)));
    // Four images used: the three bad ones were replaced by the next files.
    expect(data.samples).toBe(4);
    expect(data.dataQuality?.images).toEqual({ total: 7, skipped: 3, reasons: { corrupt: 3 } });
    expect(data.source).toMatch(/^4 images from .*; 3 of 7 images skipped: 3 corrupt$/);
  });

  it('quantize --mode static fails in one line past --max-bad, at the first bad file with --strict, and succeeds when allowed', async () => {
    const out = join(dir, 'int8.onnx');
    const refused = await runCli(['quantize', model, '--mode', 'static', '--calib', images, '-o', out]);
    expect(refused.status).toBe(1);
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('edgeopt: warning: ') && l.endsWith('image skipped'))).toHaveLength(3);
    expect(refused.stderr).toMatch(/edgeopt: error: calibration images .*: 3 of 8 \(37\.5%\) of the images are unusable \(3 corrupt\), more than --max-bad 5%/);
    expect(readdirSync(dir)).not.toContain('int8.onnx');
    const strict = await runCli(['quantize', model, '--mode', 'static', '--calib', images, '--strict', '-o', out]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(new RegExp(`edgeopt: error: ${broken[0]}: not a readable image .*\\(--strict stops at the first bad item\\)`));
    const allowed = await runCli(['quantize', model, '--mode', 'static', '--calib', images, '--max-bad', '40', '--json', '-o', out]);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr.split('\n').filter((l) => l.startsWith('edgeopt: warning: ') && l.endsWith('image skipped'))).toHaveLength(3);
    const report = JSON.parse(allowed.stdout).report;
    expect(report.static.calibration.samples).toBe(5);
    expect(report.static.calibration.dataQuality.images).toMatchObject({ total: 8, skipped: 3 });
  });
});
