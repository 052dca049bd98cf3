import { beforeAll, describe, expect, it } from 'vitest';
import { describeQuantization } from '../../src/analyze/quantized.js';
import { decodeModel, encodeModel } from '../../src/onnx/model-io.js';
import type { LoadedModel } from '../../src/onnx/types.js';
import { YOLO_CALIBRATION_PREPROCESSING, defaultFeedBuilder, type FeedRecord } from '../../src/quantize/calibrate/index.js';
import { dequantizeModel } from '../../src/quantize/dequantize/index.js';
import { quantizeDynamic } from '../../src/quantize/dynamic.js';
import { convertToFloat16 } from '../../src/quantize/fp16.js';
import { quantizeStatic } from '../../src/quantize/static/index.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { buildEdgeGraph, type EdgeGraphOptions } from '../helpers/edge-graph.js';
import { fidelity, runFeeds } from '../helpers/zoo-feeds.js';

/**
 * Hand-made graphs with the edge cases real exporters produce (see test/helpers/edge-graph.ts), through every mode
 * in real onnxruntime, at every opset from 11 to 21: each variant loads, runs on a real image and stays close to FP32.
 */
const CASES: Array<{ name: string; options: EdgeGraphOptions }> = [
  ...[11, 12].map((opset) => ({ name: `opset ${opset}, every initializer also a graph input, dynamic batch`, options: { opset, initializersAsInputs: true, dynamicBatch: true } })),
  ...[13, 15, 17, 18, 19, 20, 21].map((opset) => ({ name: `opset ${opset}, dynamic batch`, options: { opset, dynamicBatch: true } })),
  { name: 'opset 17, NHWC image input', options: { opset: 17, nhwc: true } },
  { name: 'opset 12, If and Loop reading outer tensors', options: { opset: 12, controlFlow: true } },
  { name: 'opset 17, If and Loop reading outer tensors, dynamic batch', options: { opset: 17, controlFlow: true, dynamicBatch: true } },
];

/** The outputs every variant must reproduce: the softmax scores, the feature map, control-flow results. */
const COMPARED = ['scores', 'feat', 'branched', 'looped'];

describe.skipIf(!hasAssets)('edge-case graphs through every mode', () => {
  for (const { name, options } of CASES) {
    describe(name, () => {
      let fp32: LoadedModel;
      let record: FeedRecord;
      let reference: Awaited<ReturnType<typeof runFeeds>>;
      beforeAll(async () => {
        fp32 = buildEdgeGraph(options);
        // A real image (letterboxed to 32×32) for the image input; the offset input gets 1, as calibration feeds it.
        record = await defaultFeedBuilder(fp32, YOLO_CALIBRATION_PREPROCESSING, []).build(asset('images', 'bus.jpg'));
        reference = await runFeeds(fp32, record);
      });

      async function expectClose(variant: LoadedModel, minCosine: number): Promise<void> {
        const out = await runFeeds(decodeModel(encodeModel(variant)), record);
        expect(Object.keys(out).sort()).toEqual(Object.keys(reference).sort());
        expect([...out.anchors!.data]).toEqual([8, 16, 32]); // an initializer that is also a graph output
        for (const t of COMPARED.filter((c) => reference[c])) {
          expect(out[t]!.dims, t).toEqual(reference[t]!.dims);
          expect(fidelity(reference[t]!.data, out[t]!.data).cosine, t).toBeGreaterThan(minCosine);
        }
      }

      it('dynamic INT8', async () => {
        const { model, report } = quantizeDynamic(fp32);
        expect(report.quantized.Conv).toBe(3);
        await expectClose(model, 0.99);
      });

      it('static INT8, then dequantized back to float', async () => {
        const { model, report } = await quantizeStatic(fp32, { calibration: { imageDir: asset('coco128', 'images'), limit: 2 } });
        // The int64 shape Concats are not quantized: only float activations are.
        const concats = report.skipped.filter((s) => s.opType === 'Concat' && /int64/.test(s.reason));
        expect(concats.length).toBe(2);
        expect(report.notes.join('\n')).toMatch(/input 'offset' float32\[1,8,1,1\] is not the image: calibration fed it 1.*reaches \d+ of the \d+ calibrated tensors/);
        if (options.opset < 13) expect(report.notes.join('\n')).toMatch(/Softmax-like node\(s\) over a non-last axis/);
        await expectClose(model, 0.99);
        const rebuilt = dequantizeModel(model);
        expect(describeQuantization(rebuilt.model.graph).schemes).toEqual([]);
        await expectClose(rebuilt.model, 0.995);
      });

      it('FP16', async () => {
        const { model, report } = convertToFloat16(fp32);
        if (options.controlFlow) expect(report.notes).toContain('2 If/Loop/Scan node(s) and their bodies left in float32');
        await expectClose(model, 0.999);
      });
    });
  }
});
