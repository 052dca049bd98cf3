import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { buildDataset } from '../helpers/corrupt-images.js';
import { evaluateModel } from '../../src/eval/evaluate.js';

const COCO128 = asset('coco128');
const MODEL = asset('models', 'yolov5nu_fp32.onnx');

describe.skipIf(!hasAssets)('eval on a folder of 25 COCO images, 16 of them corrupt', () => {
  let dir: string;
  let broken: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-bad-'));
    const names = readdirSync(join(COCO128, 'images')).sort().slice(0, 25);
    broken = await buildDataset(join(dir, 'data'), { imagesDir: join(COCO128, 'images'), labelsDir: join(COCO128, 'labels'), names }, 16);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('evaluates the 9 good images, names each bad file, then fails in one line because 64% is bad', async () => {
    const r = await runCli(['eval', MODEL, '--data', join(dir, 'data')], { timeoutMs: 300_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(''); // no mAP printed from data the tool refuses
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('edgeopt: warning: '));
    expect(warnings).toHaveLength(16);
    for (const file of broken) expect(warnings.some((w) => w.includes(`${file}: `) && w.endsWith('image skipped'))).toBe(true);
    expect(warnings.filter((w) => w.includes('empty file (0 bytes)'))).toHaveLength(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('edgeopt: error: '));
    expect(errors).toEqual([expect.stringMatching(/16 of 25 \(64%\) of the images are unusable \(14 corrupt, 2 empty\), more than --max-bad 5%/)]);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('reports the mAP of the 9 good images when --max-bad allows it, with the counts', async () => {
    const r = await runCli(['eval', MODEL, '--data', join(dir, 'data'), '--max-bad', '70%', '--json'], { timeoutMs: 300_000 });
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.images).toBe(9);
    expect(result.dataQuality.images).toEqual({ total: 25, skipped: 16, reasons: { corrupt: 14, empty: 2 } });
    expect(result.map50_95).toBeGreaterThan(0.2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('edgeopt: warning: '))).toHaveLength(16);
  });
});

describe.skipIf(!hasAssets)('bad label lines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-badlabels-'));
    const names = ['000000000009.jpg', '000000000025.jpg', '000000000030.jpg'];
    await buildDataset(dir, { imagesDir: join(COCO128, 'images'), labelsDir: join(COCO128, 'labels'), names }, 0);
    // 000000000025: two giraffes. Add the 'nan' line, a class the model does not have, a box outside the
    // image, a zero-size box, and a duplicate of line 1.
    await writeFile(join(dir, 'labels', '000000000025.txt'), [
      '23 0.770336 0.489695 0.335891 0.697559',
      '23 0.185977 0.901608 0.206297 0.129554',
      'nan 0.5 0.5 0.1 0.1',
      '999 0.5 0.5 0.1 0.1',
      '3 0.95 0.5 0.3 0.2',
      '3 0.5 0.5 0 0.2',
      '23 0.770336 0.489695 0.335891 0.697559',
    ].join('\n'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('skips each bad line with a warning naming file:line and counts them', async () => {
    const warnings: string[] = [];
    const r = await evaluateModel(MODEL, dir, { maxBad: 0.5, onWarning: (l) => warnings.push(l) });
    const file = join(dir, 'labels', '000000000025.txt');
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3: class id must be a non-negative integer, got 'nan'; line skipped$`)),
      expect.stringMatching(new RegExp(`^${file}:4: class id 999, but the model has 80 classes \\(0..79\\); line skipped$`)),
      expect.stringMatching(new RegExp(`^${file}:5: box .* reaches outside the 640x426 image; line skipped$`)),
      expect.stringMatching(new RegExp(`^${file}:6: box has zero or negative size`)),
      expect.stringMatching(new RegExp(`^${file}:7: same class and box as ${file}:1; line skipped$`)),
    ]);
    expect(r.dataQuality.labels.skipped).toBe(5);
    expect(r.dataQuality.labels.reasons).toEqual({ 'not numeric': 1, 'class id out of range': 1, 'outside the image': 1, 'zero size': 1, duplicate: 1 });
    expect(r.instances).toBe(r.dataQuality.labels.total - 5);
    // Too many bad lines for the default 5%, and --strict stops at the first one.
    await expect(evaluateModel(MODEL, dir)).rejects.toThrow(/5 of \d+ \(\d+(\.\d)?%\) of the label lines are bad \(1 not numeric, 1 class id out of range, .*\), more than --max-bad 5%/);
    await expect(evaluateModel(MODEL, dir, { strict: true })).rejects.toThrow(/000000000025\.txt:3: class id must be a non-negative integer, got 'nan' \(--strict stops at the first bad item\)$/);
  });
});
