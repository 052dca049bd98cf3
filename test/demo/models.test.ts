import { describe, expect, it } from 'vitest';
import { describeDemoModel } from '../../src/demo/models.js';
import { asset, hasAssets } from '../helpers/assets.js';

describe.skipIf(!hasAssets)('demo models: the page draws only what it can decode', () => {
  it('draws a YOLO model, and says why for a model of another family instead of drawing wrong boxes', async () => {
    const yolo = await describeDemoModel({ name: 'yolov5nu', path: asset('models', 'yolov5nu_fp32.onnx') }, 0);
    expect(yolo.detectionsNote).toBeUndefined();
    const pico = await describeDemoModel({ name: 'picodet', path: asset('zoo', 'picodet_s_320.onnx') }, 1);
    expect(pico.detectionsNote).toMatch(/^the page draws YOLOv5\/Ultralytics outputs only, and this model's contract says gfl/);
    const lite = await describeDemoModel({ name: 'v5lite', path: asset('zoo', 'yolov5lite_e_320.onnx') }, 2);
    expect(lite.detectionsNote).toMatch(/^no decoder: outputs \[1,6300,85\] are ambiguous/);
  });
});
