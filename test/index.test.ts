import { describe, expect, it } from 'vitest';
import * as edgeopt from '../src/index.js';
import { asset, hasAssets } from './helpers/assets.js';
import { results as runResults, variant } from './select/fixtures.js';

describe('public library API', () => {
  it('builds, analyzes, quantizes and round-trips a model through the entry point alone', () => {
    // The built-in YOLOv5n at a small input: the real graph, seeded weights, no files needed.
    const { model, info } = edgeopt.buildDefaultModel('yolov5n', { imgsz: 160 });
    expect(info).toMatchObject({ family: 'yolov5', architecture: 'yolov5n', nc: 80, imgsz: [160, 160], synthetic: true });
    const analysis = edgeopt.analyzeModel(model);
    const convs = analysis.opCounts.Conv!;
    expect(convs).toBeGreaterThan(50);
    expect(analysis.inputs[0]?.shape).toEqual([1, 3, 160, 160]);
    const decoded = edgeopt.decodeModel(edgeopt.encodeModel(model));
    expect(decoded.graph?.node.length).toBe(model.graph?.node.length);
    const { model: int8 } = edgeopt.quantizeDynamic(model);
    expect(edgeopt.analyzeModel(int8).quantization.ConvInteger).toBe(convs);
    expect(edgeopt.formatAnalysis(analysis)).toContain('Conv');
  });

  it('decodes a detector output and maps it back through the letterbox', () => {
    // Ultralytics layout [1, 4 + 2 classes, 8 candidates]: one confident box at the centre of a 640 input.
    const n = 8;
    const output = new Float32Array(6 * n);
    [320, 320, 100, 50, 0.1, 0.9].forEach((v, channel) => (output[channel * n + 3] = v));
    const detections = edgeopt.decodeDetections(output, [1, 6, n], { confThreshold: 0.25, iouThreshold: 0.45 });
    expect(detections).toHaveLength(1);
    const [d] = detections;
    expect(d).toMatchObject({ classId: 1, box: [270, 295, 370, 345] });
    expect(d!.score).toBeCloseTo(0.9, 6);
    const geometry = edgeopt.letterboxGeometry(1280, 720, 640, 640);
    expect(edgeopt.unletterboxBox(d!.box, geometry, 1280, 720)).toEqual([540, 310, 740, 410]);
    expect(edgeopt.boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 12);
  });

  it('selects and reports from a results record', async () => {
    const results = runResults([variant('fp32', 40, 10.8, 0.38), variant('int8-static-full', 20, 3.2, 0.377)]);
    const selection = edgeopt.selectVariant(results, { maxMapDrop: 1 });
    expect(selection.chosen).toBe('int8-static-full');
    expect(selection.summary).toContain('2.0x faster than FP32');
    expect(edgeopt.renderReport({ ...results, selection }, [])).toContain('int8-static-full');
    await expect(edgeopt.readResults('/nonexistent/results.json')).rejects.toThrow(edgeopt.EdgeoptError);
  });

  it.skipIf(!hasAssets)('does the study in a few calls: load, analyze, quantize dynamically, analyze again', async () => {
    const fp32 = await edgeopt.loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    expect(edgeopt.analyzeModel(fp32).opCounts.Conv).toBe(76);
    const { model } = edgeopt.quantizeDynamic(fp32);
    const census = edgeopt.analyzeModel(model).quantization;
    expect(census.ConvInteger).toBe(76);
    expect(census.DynamicQuantizeLinear).toBe(63);
  });
});
