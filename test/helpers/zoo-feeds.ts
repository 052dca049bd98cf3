import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { openSession } from '../../src/bench/session.js';
import { decodeRgb, loadImageTensor } from '../../src/image/preprocess.js';
import { encodeModel } from '../../src/onnx/model-io.js';
import type { LoadedModel, NodeProto } from '../../src/onnx/types.js';
import type { FeedBuilder, FeedRecord } from '../../src/quantize/calibrate/index.js';
import { float16BitsToFloat32 } from '../../src/util/float16.js';
import type { ZooModel } from './zoo.js';

/**
 * The zoo models' preprocessing as their README states it — a local stand-in until model contracts land in src/.
 * It is written as a calibration FeedBuilder, the seam a contract plugs into.
 */
interface ZooPreprocessing {
  size: number;
  resize: 'stretch' | 'letterbox';
  bgr: boolean;
  mean?: [number, number, number];
  std?: [number, number, number];
  /** PicoDet-XS with NMS inside also takes scale_factor = [size/orig_h, size/orig_w]. */
  scaleFactor?: boolean;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

export const ZOO_PREPROCESSING: Record<ZooModel, ZooPreprocessing> = {
  yolov10n_int8_640: { size: 640, resize: 'letterbox', bgr: false },
  picodet_s_320: { size: 320, resize: 'stretch', bgr: false, ...IMAGENET },
  picodet_xs_nms_320: { size: 320, resize: 'stretch', bgr: false, ...IMAGENET, scaleFactor: true },
  yolofastestv2_352: { size: 352, resize: 'stretch', bgr: true },
  yolofastestv2_merged_352: { size: 352, resize: 'stretch', bgr: true },
  yolov5lite_e_320: { size: 320, resize: 'stretch', bgr: false },
};

async function stretch(file: string, size: number): Promise<{ pixels: Buffer; width: number; height: number }> {
  const image = await decodeRgb(file);
  const pixels = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { pixels, width: image.width, height: image.height };
}

/** Feed records for one zoo model, from image files. */
export function zooFeeds(model: ZooModel, imageInput: string): FeedBuilder {
  const p = ZOO_PREPROCESSING[model];
  return {
    description: `${model} preprocessing from the zoo README`,
    notes: [],
    async build(file): Promise<FeedRecord> {
      const plane = p.size * p.size;
      let data: Float32Array;
      let orig: { width: number; height: number };
      if (p.resize === 'letterbox') {
        const t = await loadImageTensor(file, { width: p.size, height: p.size });
        data = t.data;
        orig = { width: t.srcWidth, height: t.srcHeight };
      } else {
        const { pixels, width, height } = await stretch(file, p.size);
        orig = { width, height };
        data = new Float32Array(3 * plane);
        for (let i = 0; i < plane; i++) {
          for (let c = 0; c < 3; c++) {
            const value = pixels[i * 3 + (p.bgr ? 2 - c : c)]! / 255;
            data[c * plane + i] = p.mean ? (value - p.mean[c]!) / p.std![c]! : value;
          }
        }
      }
      const record: FeedRecord = { [imageInput]: { type: 'float32', dims: [1, 3, p.size, p.size], data } };
      if (p.scaleFactor) record.scale_factor = { type: 'float32', dims: [1, 2], data: Float32Array.of(p.size / orig.height, p.size / orig.width) };
      return record;
    },
  };
}

/** Runs a model on one feed record; returns every output as float32 values (other types converted). */
export async function runFeeds(model: LoadedModel | string, record: FeedRecord): Promise<Record<string, { data: Float64Array; dims: readonly number[] }>> {
  const { session } = await openSession(typeof model === 'string' ? model : encodeModel(model), { intraOpThreads: 1 });
  try {
    const feeds = Object.fromEntries(Object.entries(record).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => {
      // float16 arrives as its bit patterns
      const data = t.type === 'float16' ? Float64Array.from(t.data as Uint16Array, float16BitsToFloat32) : Float64Array.from(t.data as ArrayLike<number>, Number);
      return [k, { data, dims: t.dims }];
    }));
  } finally {
    await session.release();
  }
}

/** Cosine similarity and SQNR (dB) of a candidate output against a reference. */
export function fidelity(reference: ArrayLike<number>, candidate: ArrayLike<number>): { cosine: number; sqnrDb: number } {
  let dot = 0;
  let rr = 0;
  let cc = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const c = candidate[i]!;
    dot += r * c;
    rr += r * r;
    cc += c * c;
    noise += (r - c) * (r - c);
  }
  return { cosine: rr > 0 && cc > 0 ? dot / Math.sqrt(rr * cc) : rr === cc ? 1 : 0, sqnrDb: noise > 0 ? 10 * Math.log10(rr / noise) : Infinity };
}

/**
 * Tensors to compare element by element between a model and its variant: the outputs, except those computed
 * from a selection (NMS, top-k, NonZero) — which rows survive depends on tiny score differences, so such outputs are
 * replaced by the float inputs of the selection op (the scores and boxes it chooses from).
 */
export function comparedTensors(model: LoadedModel): string[] {
  const selections = model.graph.node.filter((n) => SELECTION_OPS.has(n.opType ?? ''));
  if (selections.length === 0) return model.graph.output.map((o) => o.name!);
  const consumers = new Map<string, NodeProto[]>();
  for (const n of model.graph.node) for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const downstream = new Set<string>();
  const queue = selections.flatMap((n) => n.output);
  while (queue.length > 0) {
    const t = queue.pop()!;
    if (downstream.has(t)) continue;
    downstream.add(t);
    for (const n of consumers.get(t) ?? []) queue.push(...n.output);
  }
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const first = selections[0]!;
  const picked = (first.opType === 'NonMaxSuppression' ? first.input.slice(0, 2) : [first.input[0]!]).filter((t) => t && !initializers.has(t));
  return [...model.graph.output.map((o) => o.name!).filter((o) => !downstream.has(o)), ...picked];
}

const SELECTION_OPS = new Set(['NonMaxSuppression', 'TopK', 'NonZero']);
