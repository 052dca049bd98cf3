import { describe, expect, it } from 'vitest';
import { describeDemoModel } from '../../src/demo/models.js';
import { parseContractFlags } from '../../src/eval/contract/flags.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { hasZoo } from '../helpers/zoo.js';

describe.skipIf(!hasAssets || !hasZoo)('demo models: the page gets each model contract and draws every family with a decoder', () => {
  it('serves the contract of a YOLO model and of other families, and says why when no decoder fits', async () => {
    const yolo = await describeDemoModel({ name: 'yolov5nu', path: asset('models', 'yolov5nu_fp32.onnx') }, 0);
    expect(yolo.detectionsNote).toBeUndefined();
    expect(yolo.contract?.decoder?.name).toBe('ultralytics');
    const pico = await describeDemoModel({ name: 'picodet', path: asset('zoo', 'picodet_s_320.onnx') }, 1);
    expect(pico.detectionsNote).toBeUndefined();
    expect(pico.contract).toMatchObject({ decoder: { name: 'gfl' }, input: { resize: 'stretch', width: 320 } });
    // NMS inside, symbolic output dims (recognised from one probe run, as the CLI does) and a scale_factor input.
    const xs = await describeDemoModel({ name: 'picodet-xs', path: asset('zoo', 'picodet_xs_nms_320.onnx') }, 2);
    expect(xs.detectionsNote).toBeUndefined();
    expect(xs.contract?.decoder?.name).toBe('end2end');
    expect(xs.contract?.aux.map((a) => a.kind)).toEqual(['scale-factor']);
    const lite = await describeDemoModel({ name: 'v5lite', path: asset('zoo', 'yolov5lite_e_320.onnx') }, 3);
    expect(lite.detectionsNote).toMatch(/^no decoder: outputs \[1,6300,85\] are ambiguous/);
    // `edgeopt demo --decoder/--preprocess`, as detect/eval/run take them.
    const flagged = await describeDemoModel({ name: 'v5lite', path: asset('zoo', 'yolov5lite_e_320.onnx') }, 3, parseContractFlags({ decoder: 'yolo-anchors', preprocess: 'resize=stretch' }));
    expect(flagged.detectionsNote).toBeUndefined();
    expect(flagged.contract).toMatchObject({ decoder: { name: 'yolo-anchors' }, input: { resize: 'stretch' } });
    expect(flagged.contractSummary).toMatch(/--decoder yolo-anchors/);
  });
});
