import { describe, expect, it } from 'vitest';
import {
  CONTRACT_METADATA_KEY,
  contractMetadata,
  formatContract,
  modelSignature,
  parseContractFlags,
  resolveContract,
  type ModelSignature,
} from '../../src/eval/contract/index.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { asset, hasAssets } from '../helpers/assets.js';

const signatureOf = async (file: string) => modelSignature(await loadModel(asset(...file.split('/'))));
const withMetadata = (s: ModelSignature, extra: Record<string, string>): ModelSignature => ({ ...s, metadata: { ...s.metadata, ...extra } });

describe('parseContractFlags', () => {
  it('parses --preprocess, --decoder (with its keys) and --aux-input, with one-line errors', () => {
    const flags = parseContractFlags({ preprocess: 'color=bgr', decoder: 'yolo-anchors,anchors=10:13:16:30/30:61:62:45,strides=16:32', auxInput: ['im=const:1:2'], imgsz: 416 });
    expect(flags.preprocess).toEqual({ color: 'bgr', width: 416, height: 416 });
    expect(flags.decoder).toEqual({ name: 'yolo-anchors', params: { anchors: [[10, 13, 16, 30], [30, 61, 62, 45]], strides: [16, 32] } });
    expect(flags.aux).toEqual({ im: 'const:1:2' });
    expect(() => parseContractFlags({ decoder: 'retinanet' })).toThrow(/unknown decoder 'retinanet' \(known: yolov5, ultralytics, yolo-anchors, yolox, gfl, ssd, end2end, detr\)/);
    expect(() => parseContractFlags({ decoder: 'gfl,reg-max=x' })).toThrow(/reg-max=x: expected an integer from 1 to 64/);
    expect(() => parseContractFlags({ decoder: 'gfl,anchors=1:2' })).toThrow(/gfl: unknown key 'anchors'/);
    expect(() => parseContractFlags({ auxInput: ['scale_factor=half'] })).toThrow(/unknown kind 'half'/);
    expect(() => parseContractFlags({ imgsz: 320, preprocess: 'size=640' })).toThrow(/contradicts/);
  });
});

describe.skipIf(!hasAssets)('resolveContract on real models', () => {
  it('takes each field from the strongest source: flag, then exporter metadata, then shapes', async () => {
    const s = await signatureOf('zoo/yolov10n_int8_640.onnx');
    const r = resolveContract(s, parseContractFlags({ preprocess: 'pad=0' }));
    expect(r.contract.decoder).toEqual({ name: 'end2end', params: { layout: 'xyxy-score-class', boxes: 'input', classes: 80 } });
    expect(r.sources.decoder).toMatchObject({ kind: 'exporter' });
    expect(r.sources.pad).toEqual({ kind: 'flag', detail: '--preprocess' });
    expect(r.sources.color.kind).toBe('exporter');
    expect(r.sources.size.kind).toBe('shape');
    expect(r.contract.names?.[5]).toBe('bus');
  });

  it('feeds PaddleDetection\'s scale_factor by its name and uses its preprocessing', async () => {
    const r = resolveContract(await signatureOf('zoo/picodet_xs_nms_320.onnx'));
    expect(r.contract.aux).toEqual([{ name: 'scale_factor', kind: 'scale-factor', type: 'float32', dims: [1, 2] }]);
    expect(r.contract.input).toMatchObject({ name: 'image', resize: 'stretch', mean: [0.485, 0.456, 0.406] });
    expect(r.sources.resize.kind).toBe('convention');
    expect(r.feedProblem).toBeUndefined();
    // An input nobody knows blocks feeding, with the flag that fixes it.
    const renamed = { ...(await signatureOf('zoo/picodet_xs_nms_320.onnx')) };
    renamed.inputs = renamed.inputs.map((i) => (i.name === 'scale_factor' ? { ...i, name: 'sf' } : i));
    expect(resolveContract(renamed).feedProblem).toMatch(/input 'sf' \[1,2\] is not the image .*--aux-input sf=scale-factor/);
    expect(resolveContract(renamed, parseContractFlags({ auxInput: ['sf=scale-factor'] })).feedProblem).toBeUndefined();
  });

  it('says the decoder is ambiguous instead of guessing, and names the flags that settle it', async () => {
    const r = resolveContract(await signatureOf('zoo/yolov5lite_e_320.onnx'));
    expect(r.contract.decoder).toBeUndefined();
    expect(r.decoderProblem).toMatch(/\[1,6300,85\] are ambiguous: they fit yolov5 .* and yolo-anchors .*: pass --decoder yolov5 or --decoder yolo-anchors/);
    const fastest = resolveContract(await signatureOf('zoo/yolofastestv2_352.onnx'));
    expect(fastest.decoderProblem).toMatch(/look like yolo-anchors, which needs anchors for strides 16,32/);
  });

  it('round-trips through the metadata edgeopt writes: no flags needed again, original sources kept', async () => {
    const s = await signatureOf('zoo/yolofastestv2_merged_352.onnx');
    const flags = parseContractFlags({ preprocess: 'resize=stretch,color=bgr', decoder: 'yolo-anchors,anchors=12.64:19.39:37.88:51.48:55.71:138.31/126.91:78.23:131.57:214.55:279.92:258.87' });
    const first = resolveContract(s, flags);
    expect(first.contract.decoder?.params).toMatchObject({ strides: [16, 32], layout: 'shared-classes', classes: 80 });
    const stored = withMetadata(s, contractMetadata(first));
    const again = resolveContract(stored);
    expect(again.contract).toEqual(first.contract);
    expect(again.sources.color).toEqual({ kind: 'edgeopt', origin: { kind: 'flag', detail: '--preprocess' } });
    expect(again.sources.decoder).toEqual({ kind: 'edgeopt', origin: { kind: 'flag', detail: '--decoder' } });
    expect(formatContract(again)).toMatch(/color\s+bgr\s+edgeopt metadata, originally flag --preprocess/);
    // A flag still wins over the stored contract.
    expect(resolveContract(stored, parseContractFlags({ preprocess: 'color=rgb' })).contract.input.color).toBe('rgb');
    // A damaged stored contract is ignored, and said.
    const damaged = resolveContract(withMetadata(s, { [CONTRACT_METADATA_KEY]: '{"version":1,"contract":{}}' }));
    expect(damaged.assumptions.join()).toMatch(/edgeopt_contract metadata ignored: no input/);
  });

  it('assumes an input size only when nothing gives one, and refuses a size a fixed input cannot take', async () => {
    const s = await signatureOf('zoo/picodet_s_320.onnx');
    const dynamic = { ...s, inputs: s.inputs.map((i) => ({ ...i, dims: [1, 3, undefined, undefined] })) };
    const r = resolveContract(dynamic);
    expect(r.contract.input).toMatchObject({ width: 640, height: 640 });
    expect(r.assumptions.join()).toMatch(/640x640 assumed/);
    expect(resolveContract(withMetadata(dynamic, { imgsz: '[416, 416]' })).sources.size.kind).toBe('exporter');
    expect(resolveContract(s, parseContractFlags({ imgsz: 640 })).feedProblem).toMatch(/fixed at 320x320; size 640x640 cannot be used/);
  });
});
