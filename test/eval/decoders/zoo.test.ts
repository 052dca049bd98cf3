import { describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../../helpers/assets.js';
import { detectWithContract } from '../../helpers/contract-run.js';

const FASTEST_ANCHORS = 'anchors=12.64:19.39:37.88:51.48:55.71:138.31/126.91:78.23:131.57:214.55:279.92:258.87';
const PADDLE = 'resize=stretch,mean=0.485:0.456:0.406,std=0.229:0.224:0.225';

/**
 * Every zoo model with the flags its README gives (none where the file says enough), and the bus.jpg
 * detections the README lists (sharp's linear resize, as the README measured them): class id and score.
 */
const ZOO: Array<{ file: string; decoder: string; flags: { preprocess?: string; decoder?: string }; conf: number; bus: Array<[number, number]> }> = [
  { file: 'yolov10n_int8_640.onnx', decoder: 'end2end', flags: {}, conf: 0.25, bus: [[5, 0.947], [0, 0.913], [0, 0.908], [0, 0.861], [0, 0.385]] },
  { file: 'picodet_s_320.onnx', decoder: 'gfl', flags: {}, conf: 0.3, bus: [[0, 0.927], [5, 0.921], [0, 0.826], [0, 0.677], [0, 0.383]] },
  { file: 'picodet_xs_nms_320.onnx', decoder: 'end2end', flags: {}, conf: 0.3, bus: [[0, 0.896], [5, 0.896], [0, 0.862], [0, 0.602]] },
  { file: 'yolofastestv2_352.onnx', decoder: 'yolo-anchors', flags: { preprocess: 'resize=stretch,color=bgr', decoder: `yolo-anchors,${FASTEST_ANCHORS}` }, conf: 0.3, bus: [[0, 0.949], [5, 0.851], [0, 0.774], [0, 0.347]] },
  { file: 'yolofastestv2_merged_352.onnx', decoder: 'yolo-anchors', flags: { preprocess: 'resize=stretch,color=bgr', decoder: `yolo-anchors,${FASTEST_ANCHORS}` }, conf: 0.3, bus: [[0, 0.949], [5, 0.851], [0, 0.774], [0, 0.347]] },
  { file: 'yolov5lite_e_320.onnx', decoder: 'yolo-anchors', flags: { preprocess: 'resize=stretch', decoder: 'yolo-anchors' }, conf: 0.25, bus: [[0, 0.823], [0, 0.816], [5, 0.788], [0, 0.719], [0, 0.336], [0, 0.316]] },
];

describe.skipIf(!hasAssets)('decoders on the zoo models (real sessions, bus.jpg and zidane.jpg)', () => {
  for (const m of ZOO) {
    it(`${m.file}: ${m.decoder} finds what the zoo README lists on bus.jpg`, async () => {
      const run = await detectWithContract(asset('zoo', m.file), asset('images', 'bus.jpg'), m.flags, { conf: m.conf, resampling: 'linear' });
      expect(run.resolved.contract.decoder?.name).toBe(m.decoder);
      const got = run.detections.map((d) => [d.classId, Number(d.score.toFixed(3))]);
      // Same detections, same order up to equal scores; scores within 0.002 of the README.
      expect(got.length).toBe(m.bus.length);
      const sorted = (xs: Array<number[]>) => [...xs].sort((a, b) => b[1]! - a[1]! || a[0]! - b[0]!);
      sorted(got).forEach(([cls, score], i) => {
        expect(cls).toBe(sorted(m.bus)[i]![0]);
        expect(Math.abs(score! - sorted(m.bus)[i]![1]!)).toBeLessThanOrEqual(0.002);
      });
      // Boxes are in image pixels: the bus spans most of the 810-pixel width.
      const bus = run.detections.find((d) => d.classId === 5)!;
      expect(bus.box[2] - bus.box[0]).toBeGreaterThan(600);
    });
  }

  it('finds the two people of zidane.jpg with every zoo model (OpenCV-style resize, the default)', async () => {
    for (const m of ZOO) {
      const run = await detectWithContract(asset('zoo', m.file), asset('images', 'zidane.jpg'), m.flags, { conf: 0.4 });
      const people = run.detections.filter((d) => d.classId === 0 && d.box[3] - d.box[1] > 300);
      expect(people.length, m.file).toBeGreaterThanOrEqual(2);
      for (const d of run.detections) for (const v of d.box) expect(v >= 0 && v <= 1280).toBe(true);
    }
  });
});
