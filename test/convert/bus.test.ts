import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { decodeDetections, type Detection } from '../../src/eval/decode.js';
import { loadImageTensor } from '../../src/image/preprocess.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { runModel } from './model-run.js';

const BUS = 5;
const PERSON = 0;

function detect(output: { data: Float32Array; dims: number[] }): Detection[] {
  return decodeDetections(output.data, output.dims, { confThreshold: 0.25, iouThreshold: 0.45, numClasses: 80 });
}

function summary(detections: Detection[]): string {
  return detections.map((d) => `${d.classId}:${d.score.toFixed(3)}`).join(' ');
}

describe.skipIf(!hasAssets)('converted yolov5n on bus.jpg', () => {
  const reference = asset('reference', 'yolov5n_fp32_torch.onnx');

  it('finds the bus and the people with the scores of the PyTorch export (same letterboxed input)', async () => {
    const { model } = convertCheckpoint(asset('models', 'yolov5n.pt'));
    const input = readNpyFloat32(asset('reference', 'bus_letterbox640.npy'));
    const ours = detect(await runModel(model, input.data, input.shape));
    const theirs = detect(await runModel(reference, input.data, input.shape));
    process.stderr.write(`bus (OpenCV letterbox): converted ${summary(ours)} | torch export ${summary(theirs)}\n`);
    expect(ours.map((d) => d.classId)).toEqual(theirs.map((d) => d.classId));
    ours.forEach((d, i) => {
      expect(Math.abs(d.score - theirs[i]!.score)).toBeLessThan(1e-3);
      d.box.forEach((v, j) => expect(Math.abs(v - theirs[i]!.box[j]!)).toBeLessThan(0.05));
    });
    expect(ours.filter((d) => d.classId === BUS)).toHaveLength(1);
    expect(ours.filter((d) => d.classId === PERSON).length).toBeGreaterThanOrEqual(3);
  });

  it('does the same from the JPEG through edgeopt\'s own preprocessing', async () => {
    const { model } = convertCheckpoint(asset('models', 'yolov5n.pt'));
    const image = await loadImageTensor(asset('images', 'bus.jpg'), { width: 640, height: 640 });
    const ours = detect(await runModel(model, image.data, image.dims));
    const theirs = detect(await runModel(reference, image.data, image.dims));
    expect(ours.map((d) => d.classId)).toEqual(theirs.map((d) => d.classId));
    ours.forEach((d, i) => expect(Math.abs(d.score - theirs[i]!.score)).toBeLessThan(1e-3));
    const bus = ours.find((d) => d.classId === BUS);
    expect(bus?.score).toBeGreaterThan(0.5);
    expect(ours.filter((d) => d.classId === PERSON && d.score > 0.4).length).toBeGreaterThanOrEqual(3);
  });
});
