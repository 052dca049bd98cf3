import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelSignature } from '../../src/eval/contract/signature.js';
import { decodeModelHeader, loadModelHeader } from '../../src/onnx/model-header.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/model-io.js';
import { makeGraph, makeModel, makeValueInfo, setMetadata } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/types.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { ZOO_MODELS, hasZoo, zooModel } from '../helpers/zoo.js';

describe('the model header reader', () => {
  it.skipIf(!hasZoo)('gives every zoo model (and YOLOv5nu) the signature a full load gives', async () => {
    const files = [...ZOO_MODELS.map(zooModel), ...(hasAssets ? [asset('models', 'yolov5nu_fp32.onnx')] : [])];
    for (const file of files) {
      const header = await loadModelHeader(file);
      const full = await loadModel(file);
      expect(modelSignature(header), file).toEqual(modelSignature(full));
      expect(header.irVersion).toBe(full.irVersion);
      expect(header.opsetImport).toEqual(full.opsetImport);
      expect(header.graph.initializer.map((t) => t.name)).toEqual(full.graph.initializer.map((t) => t.name));
    }
  });

  it('reads metadata and declared dims of a model built here', () => {
    const model = makeModel(makeGraph({ node: [], input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 'h', 'w'])], output: [makeValueInfo('y', DataType.FLOAT16, [1, 84, 8400])] }), { opset: 17 });
    setMetadata(model, { names: "{0: 'a'}" });
    const header = decodeModelHeader(encodeModel(model));
    expect(modelSignature(header)).toEqual(modelSignature(decodeModel(encodeModel(model))));
    expect(modelSignature(header).metadata.names).toBe("{0: 'a'}");
  });

  it('reads int64s the way protobufjs does: large, negative (ten-byte varints) and zero dims', () => {
    const dims = [2 ** 40 + 3, -1, 0, 2 ** 31, 127, 128];
    const model = makeModel(makeGraph({ node: [], input: [makeValueInfo('x', DataType.INT64, dims)], output: [makeValueInfo('y', DataType.FLOAT, ['n', 16384])] }), { opset: 21 });
    const bytes = encodeModel(model);
    const header = decodeModelHeader(bytes);
    const full = decodeModel(bytes);
    expect(header.graph.input[0]!.type!.tensorType!.shape!.dim.map((d) => d.dimValue)).toEqual(dims);
    expect(header.opsetImport).toEqual(full.opsetImport);
    expect(modelSignature(header)).toEqual(modelSignature(full));
  });

  it('fails with the full reader\'s one-line errors on empty, truncated and non-ONNX bytes', () => {
    expect(() => decodeModelHeader(new Uint8Array(), 'm.onnx')).toThrow(/^m\.onnx is empty, not an ONNX model$/);
    if (!hasAssets) return;
    const bytes = readFileSync(asset('models', 'yolov5nu_fp32.onnx'));
    for (const cut of [1, 7, 200, 5000]) {
      expect(() => decodeModelHeader(bytes.subarray(0, cut), 'cut.onnx')).toThrow(/^cut\.onnx is not (a valid ONNX model .*truncated or not ONNX|an ONNX model: it has no graph)$/);
    }
    expect(() => decodeModelHeader(bytes.subarray(0, 200), 'cut.onnx')).toThrow(/^cut\.onnx is not (a valid ONNX model .*truncated or not ONNX|an ONNX model: it has no graph)$/);
    expect(() => decodeModelHeader(readFileSync(asset('images', 'bus.jpg')), 'bus.jpg')).toThrow(/^bus\.jpg (is not a valid ONNX model|is not an ONNX model|has unsupported ONNX IR version)/);
  });
});
