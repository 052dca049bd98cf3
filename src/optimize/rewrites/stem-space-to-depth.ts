import { getIntAttribute, getIntsAttribute, getStringAttribute, makeAttribute, makeNode } from '../../onnx/builder.js';
import { indexGraph, uniqueNamer } from '../../onnx/graph.js';
import { runShapeInference } from '../../onnx/shapes.js';
import { makeTensor, tensorToFloat32 } from '../../onnx/tensor.js';
import { DataType, type LoadedModel, type NodeProto, type TensorProto } from '../../onnx/types.js';
import type { GraphRewrite, RewriteMatch } from '../rewrite.js';

/**
 * A stride-2 convolution with an even kernel and even pads on a few input channels (YOLOv5's 6×6/2 stem on the
 * RGB image) computes exactly what a stride-1 convolution with half the kernel computes on the input rearranged by
 * SpaceToDepth(2): each 2×2 pixel block becomes 4·C channels, and kernel tap (2a+p, 2b+q) of channel c becomes tap
 * (a, b) of channel (2p+q)·C + c (SpaceToDepth's DCR order).
 *
 * Why: onnxruntime's int8 convolution gathers its input per kernel tap and channel, which with 3 channels is 3 bytes
 * at a time — the 6×6 int8 stem of YOLOv5nu took 9.7 ms here, slower than float (2.4–4 ms); the rearranged 3×3
 * conv on 12 channels took 1.9–2.3 ms in int8. In float the rewrite gains nothing (SpaceToDepth itself costs ~1 ms),
 * so it is not applied by default: the quantization search (step 3g) verifies its best configuration on the rewritten
 * graph, with the stem int8, and keeps it only when the harness measures that faster.
 */
export const stemSpaceToDepth: GraphRewrite = {
  name: 'stem-space-to-depth',
  summary: 'stride-2 even-kernel conv on the image → SpaceToDepth(2) + stride-1 conv (exact; lets the int8 stem use a fast kernel)',
  byDefault: false,
  apply(model) {
    const matches = findStemConvs(model);
    const graph = model.graph;
    const name = uniqueNamer(graph);
    for (const { conv, weight, channels } of matches) {
      const [outChannels, , kh, kw] = weight.dims.map(Number) as [number, number, number, number];
      const source = tensorToFloat32(weight);
      const rearranged = new Float32Array(outChannels * channels * 4 * (kh / 2) * (kw / 2));
      const h2 = kh / 2;
      const w2 = kw / 2;
      for (let o = 0; o < outChannels; o++) {
        for (let c = 0; c < channels; c++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const channel = ((ky % 2) * 2 + (kx % 2)) * channels + c;
              const to = ((o * channels * 4 + channel) * h2 + (ky >> 1)) * w2 + (kx >> 1);
              rearranged[to] = source[((o * channels + c) * kh + ky) * kw + kx]!;
            }
          }
        }
      }
      const weightName = name(`${weight.name ?? 'stem'}_space_to_depth`);
      graph.initializer.push(makeTensor(weightName, rearranged, [outChannels, channels * 4, h2, w2]));
      const moved = name(`${conv.input[0]}_space_to_depth`);
      const s2d = makeNode('SpaceToDepth', [conv.input[0]!], [moved], { blocksize: 2 }, { name: name(`${conv.name || 'stem'}_SpaceToDepth`) });
      graph.node.splice(graph.node.indexOf(conv), 0, s2d);
      const pads = (getIntsAttribute(conv, 'pads') ?? [0, 0, 0, 0]).map((p) => p / 2);
      conv.input[0] = moved;
      conv.input[1] = weightName;
      conv.attribute = [
        ...conv.attribute.filter((a) => !['kernel_shape', 'pads', 'strides', 'dilations', 'auto_pad'].includes(a.name ?? '')),
        makeAttribute('kernel_shape', [h2, w2]),
        makeAttribute('pads', pads),
        makeAttribute('strides', [1, 1]),
      ];
    }
    return matches.map((m): RewriteMatch => ({ nodes: [m.conv.name ?? ''] }));
  },
};

interface StemMatch {
  conv: NodeProto;
  weight: TensorProto;
  channels: number;
}

export function findStemConvs(model: LoadedModel): StemMatch[] {
  const graph = model.graph;
  const index = indexGraph(graph);
  if (!graph.node.some((n) => n.opType === 'Conv' && index.graphInputs.has(n.input[0] ?? ''))) return [];
  let types: ReturnType<typeof runShapeInference>['types'];
  try {
    types = runShapeInference(model).types;
  } catch {
    return [];
  }
  const matches: StemMatch[] = [];
  for (const conv of graph.node) {
    if (conv.opType !== 'Conv' || (conv.domain && conv.domain !== 'ai.onnx')) continue;
    const x = conv.input[0] ?? '';
    if (!index.graphInputs.has(x) || index.initializers.has(x)) continue;
    const weight = index.initializers.get(conv.input[1] ?? '');
    if (!weight || weight.dataType !== DataType.FLOAT || weight.dims.length !== 4) continue;
    const [, channels, kh, kw] = weight.dims.map(Number) as [number, number, number, number];
    const shape = types.get(x)?.shape;
    if (!shape || shape.length !== 4 || channels > 4) continue;
    const [, , height, width] = shape;
    const even = (v: unknown) => typeof v === 'number' && v % 2 === 0;
    const all = (attr: string, value: number) => (getIntsAttribute(conv, attr) ?? [value, value]).every((v) => v === value);
    const pads = getIntsAttribute(conv, 'pads') ?? [0, 0, 0, 0];
    const autoPad = getStringAttribute(conv, 'auto_pad') ?? 'NOTSET';
    if (!even(height) || !even(width) || !even(kh) || !even(kw) || !pads.every(even)) continue;
    if (!all('strides', 2) || !all('dilations', 1) || getIntAttribute(conv, 'group', 1) !== 1 || autoPad !== 'NOTSET') continue;
    matches.push({ conv, weight, channels });
  }
  return matches;
}
