import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContract } from '../../src/eval/contract/index.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const FASTEST_DECODER = 'yolo-anchors,anchors=12.64:19.39:37.88:51.48:55.71:138.31/126.91:78.23:131.57:214.55:279.92:258.87';

describe.skipIf(!hasAssets)('model contracts through the CLI', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'edgeopt-contract-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('inspect prints each field of an ONNX model\'s contract with its source, and says when the decoder is ambiguous', async () => {
    const xs = await runCli(['inspect', asset('zoo', 'picodet_xs_nms_320.onnx')]);
    expect(xs.status).toBe(0);
    expect(xs.stdout).toMatch(/aux input\s+scale_factor = scale-factor \(float32 \[1,2\]\)\s+naming convention/);
    expect(xs.stdout).toMatch(/decoder\s+end2end/);
    const lite = await runCli(['inspect', asset('zoo', 'yolov5lite_e_320.onnx')]);
    expect(lite.stdout).toMatch(/decoder\s+none\s+outputs \[1,6300,85\] are ambiguous: .*pass --decoder yolov5 or --decoder yolo-anchors/);
    const bad = await runCli(['inspect', asset('zoo', 'yolov5lite_e_320.onnx'), '--decoder', 'yolo-anchors,anchors=1:x']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe("edgeopt: error: --decoder anchors=1:x: expected numbers separated by ':'");
    const list = await runCli(['inspect', '--decoders']);
    expect(list.stdout).toMatch(/^gfl: /m);
  });

  it('quantize writes the contract into its output, so the next command needs no flags', async () => {
    const out = join(tmp, 'fastest_dynamic.onnx');
    const q = await runCli(['quantize', asset('zoo', 'yolofastestv2_352.onnx'), '-o', out, '--preprocess', 'resize=stretch,color=bgr', '--decoder', FASTEST_DECODER]);
    expect(q.status, q.stderr).toBe(0);
    const stored = await readContract(out);
    expect(stored.contract.input).toMatchObject({ resize: 'stretch', color: 'bgr' });
    expect(stored.contract.decoder?.params).toMatchObject({ strides: [16, 32], layout: 'shared-classes' });
    expect(stored.sources.color).toEqual({ kind: 'edgeopt', origin: { kind: 'flag', detail: '--preprocess' } });
    const inspect = await runCli(['inspect', out]);
    expect(inspect.stdout).toMatch(/decoder\s+yolo-anchors\s+edgeopt metadata, originally flag --decoder/);
  });

  it('static INT8 calibrates a two-input model with complete feeds from its contract (PicoDet-XS image + scale_factor)', async () => {
    const out = join(tmp, 'xs_static.onnx');
    const q = await runCli(['quantize', asset('zoo', 'picodet_xs_nms_320.onnx'), '-o', out, '--mode', 'static', '--calib', asset('coco128', 'images'), '--calib-limit', '2']);
    expect(q.status, q.stderr).toBe(0);
    // PaddleDetection's preprocessing came from its input-name convention: no "nothing confirms it" warning.
    expect(q.stderr).not.toMatch(/nothing in the model or the flags confirms it/);
    expect((await readContract(out)).contract.aux).toEqual([{ name: 'scale_factor', kind: 'scale-factor', type: 'float32', dims: [1, 2] }]);
    // Calibrated on 2 images its output makes no sense: eval says so without a number, and does not blame the
    // contract first for a quantized model.
    const e = await runCli(['eval', out, '--data', asset('coco_val128'), '--eval-images', '4', '-q']);
    expect(e.status).toBe(3);
    expect(e.stdout).toBe('');
    expect(e.stderr).toMatch(/the decoded output makes no sense \(.*\), so accuracy is not measured; the model is quantized \(static INT8 \(QDQ\)/);
    // Its FP32 model passes, and the NMS inside the graph is said as such, not as an IoU setting.
    const f = await runCli(['eval', asset('zoo', 'picodet_xs_nms_320.onnx'), '--data', asset('coco_val128'), '--eval-images', '4', '-q']);
    expect(f.status, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/settings {4}conf 0\.001, NMS inside the model, max 300 detections/);
    expect(f.stdout).toMatch(/mAP50-95 {4}\d+\.\d\d/);
  });
});
