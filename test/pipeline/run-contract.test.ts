import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/results/schema.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'edgeopt-run-contract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!hasAssets)('edgeopt run on a detector no decoder fits', () => {
  it('Yolo-FastestV2 without its anchors: measures everything but mAP, names the contract used and what was skipped, and selects by fidelity', async () => {
    const out = join(work, 'fastest');
    const r = await runCli(['run', '--model', asset('zoo', 'yolofastestv2_352.onnx'), '-o', out, '--runs', '5', '--rounds', '1', '--warmup', '1', '--scenario', 'controlled', '--eval', asset('coco_val128'), '--eval-images', '4', '--no-calib', '--variants', 'int8-dynamic', '--quiet', '--no-store'], { timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(res.contract?.decoder).toBeUndefined();
    expect(res.contract?.decoderProblem).toMatch(/look like yolo-anchors, which needs anchors for strides 16,32/);
    expect(res.contract?.sources.color).toMatch(/edgeopt default/);
    expect(res.settings.skipped.join(' ')).toMatch(/accuracy and detection agreement \(outputs \[1,22,22,95\]/);
    for (const v of res.variants) {
      expect(v.accuracy).toBeUndefined();
      expect(v.accuracyStatus).toBe('not measured: no decoder');
    }
    const fidelity = res.variants[1]!.fidelity!;
    expect(fidelity.images).toBe(4);
    expect(fidelity.detectionF1).toBeUndefined();
    expect(fidelity.outputs!.map((o) => o.name)).toEqual(['794', '796']);
    expect(fidelity.cosine).toBeGreaterThan(0.9);
    expect(res.selection?.reasons.find((x) => x.variant === 'int8-dynamic')?.text).toMatch(/output cosine 0\.9\d+ vs FP32/);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Model contract');
    expect(report).toContain('**No decoder:**');
    expect(report).toContain('### Output fidelity vs FP32');
    expect(r.stdout).toMatch(/accuracy and detection agreement not measured: outputs/);
    expect(r.stdout).not.toMatch(/0\.00\s/);
  }, 300_000);

  it('with an ambiguous output ([1,6300,85] of YOLOv5-Lite) measures the decoders the shapes allow on labelled images and names the one that fits', async () => {
    const out = join(work, 'v5lite');
    const r = await runCli(['run', '--model', asset('zoo', 'yolov5lite_e_320.onnx'), '-o', out, '--runs', '5', '--rounds', '1', '--warmup', '1', '--scenario', 'controlled', '--eval', asset('coco_val128'), '--eval-images', '4', '--no-calib', '--variants', 'fp16', '--quiet', '--no-store'], { timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(res.contract?.decoderProblem).toMatch(/ambiguous: they fit yolov5 .* and yolo-anchors/);
    // Measured, not applied: the wrong reading (yolov5, boxes decoded in the graph) fails the check and is not offered.
    expect(res.contract?.decoderSuggestion).toMatch(/^try --decoder yolo-anchors \(mAP50 \d+\.\d on 8 labelled images\)/);
    expect(res.contract?.decoderSuggestion).not.toMatch(/--decoder yolov5\b/);
    for (const v of res.variants) expect(v.accuracyStatus).toBe('not measured: no decoder');
    expect(r.stdout).toMatch(/measured on labelled images: try --decoder yolo-anchors/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Measured on labelled images: try --decoder yolo-anchors/);
  }, 300_000);
});
