import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { getMetadata } from '../../src/onnx/builder.js';
import { loadModelSync } from '../../src/onnx/model-io.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { opHistogram, relativeMaxDiff, runModel } from './model-run.js';

interface ParityCase {
  checkpoint: string[];
  input: string[];
  expected: string[];
  torchExport: string[];
  architecture: string;
  family: 'yolov5' | 'ultralytics';
  outputDims: number[];
  params: number;
}

const CASES: ParityCase[] = [
  {
    checkpoint: ['models', 'yolov5n.pt'],
    input: ['reference', 'yolov5n_check_in.npy'],
    expected: ['reference', 'yolov5n_check_out.npy'],
    torchExport: ['reference', 'yolov5n_fp32_torch.onnx'],
    architecture: 'yolov5n',
    family: 'yolov5',
    outputDims: [1, 25200, 85],
    params: 1_872_157,
  },
  {
    checkpoint: ['models', 'yolov5n_duckietown_custom.pt'],
    input: ['reference', 'yolov5n_duckietown_check_in.npy'],
    expected: ['reference', 'yolov5n_duckietown_check_out.npy'],
    torchExport: ['reference', 'yolov5n_duckietown_fp32_torch.onnx'],
    architecture: 'yolov5n',
    family: 'yolov5',
    outputDims: [1, 25200, 9],
    params: 1_769_329,
  },
  ...(['yolov5nu', 'yolov8n', 'yolo11n'] as const).map((name) => ({
    checkpoint: ['ultralytics', `${name}.pt`],
    input: ['ultralytics', 'check_in.npy'],
    expected: ['ultralytics', `${name}_check_out.npy`],
    torchExport: ['ultralytics', `${name}_torch.onnx`],
    architecture: name,
    family: 'ultralytics' as const,
    outputDims: [1, 84, 8400],
    // The parameter counts Ultralytics reports for these checkpoints (ultralytics/README.md).
    params: { yolov5nu: 2_654_816, yolov8n: 3_157_200, yolo11n: 2_624_080 }[name],
  })),
];

describe.skipIf(!hasAssets)('convert .pt → ONNX: parity with the PyTorch exports', () => {
  for (const c of CASES) {
    it(`${c.checkpoint.join('/')} matches torch's output within 1e-3 of its magnitude`, async () => {
      const { model, info } = convertCheckpoint(asset(...c.checkpoint));
      expect(info.architecture).toBe(c.architecture);
      expect(info.family).toBe(c.family);
      expect(info.params).toBe(c.params);
      expect(info.synthetic).toBe(false);

      const input = readNpyFloat32(asset(...c.input));
      const expected = readNpyFloat32(asset(...c.expected));
      const output = await runModel(model, input.data, input.shape);
      expect(output.dims).toEqual(c.outputDims);
      expect(expected.shape).toEqual(c.outputDims);
      const { maxDiff, maxRef, rel } = relativeMaxDiff(output.data, expected.data);
      process.stderr.write(
        `parity ${c.checkpoint.join('/')}: max|diff| ${maxDiff.toExponential(2)} of max|ref| ${maxRef.toFixed(0)} → relative ${rel.toExponential(2)}; converted in ${info.seconds.toFixed(3)} s\n`,
      );
      expect(rel).toBeLessThanOrEqual(1e-3);

      // Same ops as the official export; it spells constants as Constant nodes, edgeopt as initializers.
      const official = loadModelSync(asset(...c.torchExport));
      expect(opHistogram(model)).toEqual(opHistogram(official));
      expect(model.graph.input.map((v) => v.name)).toEqual(['images']);
      expect(model.graph.output.map((v) => v.name)).toEqual(['output0']);
      const officialNames = getMetadata(official).names;
      expect(getMetadata(model).names).toBe(officialNames);
    });
  }

  it('reads the class names and records provenance in the metadata', () => {
    const { model, info } = convertCheckpoint(asset('models', 'yolov5n_duckietown_custom.pt'));
    expect(info.names).toEqual(['duckie', 'cone', 'truck', 'bus']);
    const meta = getMetadata(model);
    expect(meta).toMatchObject({
      stride: '32',
      task: 'detect',
      batch: '1',
      imgsz: '[640, 640]',
      names: "{0: 'duckie', 1: 'cone', 2: 'truck', 3: 'bus'}",
      edgeopt_family: 'yolov5',
      edgeopt_synthetic: 'false',
    });
    expect(meta.description).toContain('yolov5n_duckietown_custom.pt');
  });

  it('converts yolov5n well under a second', () => {
    convertCheckpoint(asset('models', 'yolov5n.pt')); // warm the module code paths
    const { info } = convertCheckpoint(asset('models', 'yolov5n.pt'));
    process.stderr.write(`convert yolov5n.pt: ${(info.seconds * 1000).toFixed(0)} ms (read + build, noisy on a shared machine)\n`);
    expect(info.seconds).toBeGreaterThan(0);
  });
});
