import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/model-io.js';
import { calibrateStatic, quantizeStatic } from '../../src/quantize/static/index.js';
import { asset, hasAssets } from '../helpers/assets.js';

describe.skipIf(!hasAssets)('static INT8 calibration on all of coco128', () => {
  it('streams all 128 images and builds the model (time is reported, not asserted: the machine is shared)', async () => {
    const fp32 = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    const before = process.memoryUsage().rss;
    const data = await calibrateStatic(fp32, { imageDir: asset('coco128', 'images') });
    expect(data.samples).toBe(128);
    // Memory must not grow with the image count: a few hundred MB of activations per image are folded away.
    expect(process.memoryUsage().rss - before).toBeLessThan(1.5e9);
    const { report } = await quantizeStatic(fp32, { calibrationData: data });
    expect(report.static.calibration.samples).toBe(128);
    process.stderr.write(`coco128 calibration: ${data.samples} images in ${data.seconds.toFixed(1)} s\n`);
  }, 600_000); // ~1 min on a quiet machine; several times that while others share the two cores
});
