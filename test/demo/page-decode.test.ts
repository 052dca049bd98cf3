/**
 * The demo page's feeds and decode (web/frame.js) on every zoo family (a real-model test, so in the slow project, not test/web/), against edgeopt detect on the same image:
 * the page builds its inputs (image by the contract + auxiliary inputs) and decodes every output with the CLI's own
 * modules, so the same pixels must give the same detections. Only the canvas resampling is left out here (sharp
 * resizes instead); the browser test covers that part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the demo page (type-checked by tsconfig.web.json, not here)
import { decodeFrame, frameGeometry, modelFeeds, rgbaToModelInput } from '../../web/frame.js';
import { describeDemoModel } from '../../src/demo/models.js';
import { parseContractFlags } from '../../src/eval/contract/flags.js';
import type { Detection } from '../../src/eval/decoders/index.js';
import { runDetect } from '../../src/detect/run.js';
import { boxIou } from '../../src/eval/nms.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import type { FeedRecord } from '../../src/runtime/runtime.js';
import { asset } from '../helpers/assets.js';
import { hasZoo, zooModel, type ZooModel } from '../helpers/zoo.js';

const BUS = asset('images', 'bus.jpg');
const CASES: Array<{ name: ZooModel; flags?: { preprocess?: string; decoder?: string } }> = [
  { name: 'picodet_s_320' }, // gfl: 4 score + 4 DFL outputs, stretch, ImageNet mean/std
  { name: 'picodet_xs_nms_320' }, // end2end with NMS inside, scale_factor input, boxes in source pixels
  { name: 'yolov5lite_e_320', flags: { preprocess: 'resize=stretch', decoder: 'yolo-anchors' } }, // one anchor output
  {
    name: 'yolofastestv2_352', // two NHWC maps, BGR
    flags: { preprocess: 'resize=stretch,color=bgr', decoder: 'yolo-anchors,anchors=12.64:19.39:37.88:51.48:55.71:138.31/126.91:78.23:131.57:214.55:279.92:258.87' },
  },
];

/** The page's path: resize (sharp in place of the canvas) → frame.js feeds → one inference → frame.js decode. */
async function pageDetections(path: string, flags: (typeof CASES)[number]['flags']): Promise<Detection[]> {
  const model = await describeDemoModel({ name: 'm', path }, 0, parseContractFlags(flags ?? {}));
  expect(model.detectionsNote).toBeUndefined();
  const { width, height } = await sharp(BUS).metadata();
  const geometry = frameGeometry(width!, height!, model);
  const rgba = await sharp(BUS).resize(geometry.newWidth, geometry.newHeight, { fit: 'fill', kernel: 'linear' }).ensureAlpha().raw().toBuffer();
  const feeds: FeedRecord = modelFeeds(rgbaToModelInput(rgba, geometry, model), model, width!, height!);
  const session = await ortNodeRuntime.open(path, { intraOpThreads: 1 });
  try {
    const result = await session.run(feeds);
    const outputs = session.outputs.map(({ name }) => ({ name, dims: result[name]!.dims, data: Float64Array.from(result[name]!.data as ArrayLike<number | bigint>, Number) }));
    return decodeFrame(model, outputs, geometry, width!, height!, { confThreshold: 0.3, iouThreshold: 0.45 });
  } finally {
    await session.release();
  }
}

describe.skipIf(!hasZoo)('web/frame.js feeds and decodes every family with a decoder, as edgeopt detect does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-frame-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of CASES) {
    it(`${c.name}: bus and people, the same boxes as detect`, async () => {
      const path = zooModel(c.name);
      const page = await pageDetections(path, c.flags);
      const cli = (await runDetect(path, BUS, { outDir: join(dir, c.name), conf: 0.3, contract: parseContractFlags(c.flags ?? {}) })).images[0]!.detections;
      expect(page.filter((d) => d.classId === 5).length).toBeGreaterThanOrEqual(1);
      expect(page.filter((d) => d.classId === 0).length).toBeGreaterThanOrEqual(3);
      // Every confident CLI detection has a same-class page box on it (the resampling differs slightly).
      for (const e of cli.filter((d) => d.score >= 0.5)) {
        const best = Math.max(0, ...page.filter((d) => d.classId === e.classId).map((d) => boxIou(d.box, e.box)));
        expect(best, `class ${e.classId} at [${e.box.map(Math.round).join(',')}]`).toBeGreaterThan(0.85);
      }
    }, 120_000);
  }
});
