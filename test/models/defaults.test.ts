import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { buildDefaultModel } from '../../src/models/defaults.js';
import { getMetadata } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import type { ModelProto } from '../../src/onnx/types.js';
import { opHistogram, runModel } from '../convert/model-run.js';
import { asset, hasAssets } from '../helpers/assets.js';

/** Initializer name → dims: two models with equal maps hold the same tensors in the same places. */
function initializerShapes(model: ModelProto): Record<string, number[]> {
  return Object.fromEntries((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t.dims.map(Number)]));
}

describe('built-in default models (synthetic weights)', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    const a = encodeModel(buildDefaultModel('yolov5n', { seed: 7, imgsz: 320 }).model);
    const b = encodeModel(buildDefaultModel('yolov5n', { seed: 7, imgsz: 320 }).model);
    const c = encodeModel(buildDefaultModel('yolov5n', { seed: 8, imgsz: 320 }).model);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('are labelled synthetic and carry the COCO names', () => {
    const { model, info } = buildDefaultModel('yolov5nu');
    expect(info).toMatchObject({ synthetic: true, family: 'ultralytics', architecture: 'yolov5nu', nc: 80, params: 2_654_816 });
    const meta = getMetadata(model);
    expect(meta.edgeopt_synthetic).toBe('true');
    expect(meta.description).toMatch(/SYNTHETIC/);
    expect(meta.names).toMatch(/^\{0: 'person', 1: 'bicycle', .*79: 'toothbrush'\}$/);
  });

  it('run in onnxruntime with finite, non-degenerate outputs', async () => {
    for (const name of ['yolov5n', 'yolov5nu'] as const) {
      const { model } = buildDefaultModel(name, { imgsz: 320 });
      const input = Float32Array.from({ length: 3 * 320 * 320 }, (_, i) => ((i * 7919) % 255) / 255);
      const out = await runModel(model, input, [1, 3, 320, 320]);
      expect(out.dims).toEqual(name === 'yolov5n' ? [1, 6300, 85] : [1, 84, 2100]);
      expect(out.data.every(Number.isFinite)).toBe(true);
      // Realistic magnitudes: box sizes vary from cell to cell (activations neither exploded into saturated
      // sigmoids nor died out), and the class scores stay at an untrained head's low prior.
      const [rows, cols] = name === 'yolov5n' ? [6300, 85] : [2100, 1];
      const widths = Array.from({ length: rows }, (_, r) => out.data[name === 'yolov5n' ? r * cols + 2 : 2 * rows + r]!);
      // A network whose activations died out gives one width per anchor shape (≤ 9).
      expect(new Set(widths.map((v) => v.toFixed(2))).size).toBeGreaterThan(100);
      const firstClass = Array.from({ length: rows }, (_, r) => out.data[name === 'yolov5n' ? r * cols + 5 : 4 * rows + r]!);
      expect(Math.max(...firstClass)).toBeLessThan(0.5);
    }
  });
});

describe.skipIf(!hasAssets)('default models compute exactly what the real models compute', () => {
  it('default yolov5n has the converted yolov5n.pt\'s ops, tensors and parameter count', () => {
    const synthetic = buildDefaultModel('yolov5n');
    const real = convertCheckpoint(asset('models', 'yolov5n.pt'));
    expect(synthetic.info.params).toBe(real.info.params);
    expect(opHistogram(synthetic.model)).toEqual(opHistogram(real.model));
    expect(initializerShapes(synthetic.model)).toEqual(initializerShapes(real.model));
    expect(synthetic.model.graph.node.map((n) => n.opType)).toEqual(real.model.graph.node.map((n) => n.opType));
  });

  it('default yolov5nu, yolov8n and yolo11n have the official exports\' op histograms', () => {
    for (const name of ['yolov5nu', 'yolov8n', 'yolo11n'] as const) {
      const { model } = buildDefaultModel(name);
      expect(opHistogram(model), name).toEqual(opHistogram(loadModelSync(asset('ultralytics', `${name}_torch.onnx`))));
    }
  });
});
