import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getMetadata } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

describe.skipIf(!hasAssets)('edgeopt convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-convert-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the ONNX model and prints one JSON object with --json', async () => {
    const out = join(dir, 'yolov5nu.onnx');
    const result = await runCli(['convert', asset('ultralytics', 'yolov5nu.pt'), '-o', out, '--imgsz', '320', '--opset', '13', '--dynamic-batch', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ output: out, family: 'ultralytics', architecture: 'yolov5nu', nc: 80, params: 2_654_816, imgsz: [320, 320], opset: 13, dynamicBatch: true, synthetic: false });
    expect(report.bytes).toBeGreaterThan(10_000_000);
    const model = await loadModel(out);
    expect(model.opsetImport[0]!.version).toBe(13);
    expect(getMetadata(model)).toMatchObject({ imgsz: '[320, 320]', task: 'detect', edgeopt_family: 'ultralytics', edgeopt_synthetic: 'false' });
  });

  it('prints a one-line summary without --json', async () => {
    const out = join(dir, 'yolov5n.onnx');
    const result = await runCli(['convert', asset('models', 'yolov5n.pt'), '-o', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/yolov5n \(yolov5\), 80 classes, 1,872,157 parameters, input 640x640, opset 17/);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
  });
});
