import { nodeReads } from '../../onnx/graph.js';
import { valueInfoType } from '../../onnx/shape-rules/dims.js';
import { DataType, type LoadedModel, type NodeProto, type ValueInfoProto } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';
import { float32ToFloat16Bits } from '../../util/float16.js';

/**
 * What calibration feeds a model: one *complete* feed record per sample, a value for every model input. A model
 * contract (preprocessing, extra inputs such as PicoDet's `scale_factor`) plugs in as a {@link FeedBuilder}; until
 * one exists, {@link defaultFeedBuilder} feeds the image input and derives every other input the simplest
 * honest way, and says so in its notes.
 */

import type { FeedElementType, FeedRecord, FeedTensor } from '../../runtime/runtime.js';

export type { FeedElementType, FeedRecord, FeedTensor } from '../../runtime/runtime.js';

/** Turns one image file into a complete feed record. */
export interface FeedBuilder {
  /** One line for the report: what the samples are. */
  description: string;
  /** Decisions about the feeds the user should read once (e.g. how a non-image input was filled). */
  notes: string[];
  build(imageFile: string): Promise<FeedRecord>;
}

/** A model input as calibration sees it: concrete dims (a dynamic batch taken as 1). */
export interface FeedInput {
  name: string;
  type: FeedElementType;
  dims: number[];
  /** Where the image goes: channels-first [N,C,H,W] or channels-last [N,H,W,C]. Undefined for non-image inputs. */
  layout?: 'nchw' | 'nhwc';
}

const FEED_TYPES: Partial<Record<number, FeedElementType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.FLOAT16]: 'float16',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.BOOL]: 'bool',
};

/** The inputs a caller feeds: graph inputs that are not initializers (old exporters list every weight as an input). */
export function runtimeInputs(model: LoadedModel): ValueInfoProto[] {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  return model.graph.input.filter((i) => !initializers.has(i.name));
}

/** Image inputs are float rank-4 with 1 or 3 channels on axis 1 (NCHW) or axis 3 (NHWC) and a real spatial size. */
function imageLayout(type: FeedElementType, dims: readonly (number | string)[]): 'nchw' | 'nhwc' | undefined {
  if (type !== 'float32' || dims.length !== 4) return undefined;
  const channels = (d: number | string | undefined) => d === 3 || d === 1;
  const spatial = (a: number | string | undefined, b: number | string | undefined) =>
    [a, b].every((d) => typeof d === 'string' || (typeof d === 'number' && d >= 8));
  const nchw = channels(dims[1]) && spatial(dims[2], dims[3]);
  const nhwc = channels(dims[3]) && spatial(dims[1], dims[2]);
  if (nchw) return 'nchw'; // [N,3,H,3]-like ambiguity: onnx exporters are channels-first by default
  return nhwc ? 'nhwc' : undefined;
}

/**
 * Every runtime input with concrete dims. A dynamic leading (batch) dim becomes 1; any other dynamic dim is an
 * error, because calibration needs the size the model will run at.
 */
export function feedInputs(model: LoadedModel): FeedInput[] {
  return runtimeInputs(model).map((input) => {
    const name = input.name ?? '';
    const declared = valueInfoType(input);
    const type = FEED_TYPES[input.type?.tensorType?.elemType ?? 0];
    if (!type) throw new EdgeoptError(`input '${name}' has element type ${DataType[input.type?.tensorType?.elemType ?? 0] ?? 'unknown'}; calibration can only feed ${Object.values(FEED_TYPES).join(', ')} inputs`);
    if (!declared) throw new EdgeoptError(`input '${name}' declares no shape; calibration needs a fixed input size`);
    const layout = imageLayout(type, declared.shape);
    const dims = declared.shape.map((d, axis) => {
      if (typeof d === 'number') return d;
      if (axis === 0) return 1;
      throw new EdgeoptError(`input '${name}' has a dynamic size [${declared.shape.join(',')}]; calibration needs a fixed ${layout ? 'height and width' : 'shape'} (re-export it with a fixed size)`);
    });
    return { name, type, dims, ...(layout ? { layout } : {}) };
  });
}

/** The one input that takes the image; an error naming the inputs when there is none or more than one. */
export function imageInput(model: LoadedModel): FeedInput & { layout: 'nchw' | 'nhwc' } {
  const inputs = feedInputs(model);
  const images = inputs.filter((i): i is FeedInput & { layout: 'nchw' | 'nhwc' } => i.layout !== undefined);
  if (images.length === 1) return images[0]!;
  const list = inputs.map((i) => `${i.name} ${i.type}[${i.dims.join(',')}]`).join(', ');
  throw new EdgeoptError(
    images.length === 0
      ? `no input looks like an image (float32 [N,3,H,W] or [N,H,W,3]) among ${list}: calibrate with feed records from the library`
      : `several inputs look like images (${list}): calibrate with feed records from the library`,
  );
}

/** Height and width of the image input. */
export function imageSize(input: FeedInput & { layout: 'nchw' | 'nhwc' }): { width: number; height: number } {
  const [h, w] = input.layout === 'nchw' ? [input.dims[2]!, input.dims[3]!] : [input.dims[1]!, input.dims[2]!];
  return { width: w, height: h };
}

/** NCHW float32 [1,C,H,W] data rearranged to NHWC. */
export function toChannelsLast(data: Float32Array, channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(data.length);
  const plane = height * width;
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[p * channels + c] = data[c * plane + p]!;
  return out;
}

function filled(input: FeedInput, value: number): FeedTensor {
  const count = input.dims.reduce((a, b) => a * b, 1);
  const dims = [...input.dims];
  switch (input.type) {
    case 'float32': return { type: input.type, dims, data: new Float32Array(count).fill(value) };
    case 'int64': return { type: input.type, dims, data: new BigInt64Array(count).fill(BigInt(value)) };
    case 'int32': return { type: input.type, dims, data: new Int32Array(count).fill(value) };
    case 'int8': return { type: input.type, dims, data: new Int8Array(count).fill(value) };
    case 'float16': return { type: input.type, dims, data: new Uint16Array(count).fill(float32ToFloat16Bits(value)) };
    case 'uint8':
    case 'bool': return { type: input.type, dims, data: new Uint8Array(count).fill(value) };
  }
}

/** How many of `tensors` an input can influence (forward reachability through the graph). */
export function reachedTensors(model: LoadedModel, input: string, tensors: readonly string[]): number {
  const consumers = new Map<string, NodeProto[]>();
  for (const node of model.graph.node) for (const name of nodeReads(node)) consumers.set(name, [...(consumers.get(name) ?? []), node]);
  const wanted = new Set(tensors);
  const seen = new Set<string>([input]);
  const queue = [input];
  let reached = wanted.has(input) ? 1 : 0;
  while (queue.length > 0) {
    for (const node of consumers.get(queue.pop()!) ?? []) {
      for (const out of node.output) {
        if (!out || seen.has(out)) continue;
        seen.add(out);
        if (wanted.has(out)) reached++;
        queue.push(out);
      }
    }
  }
  return reached;
}

/**
 * How an image becomes the image input's tensor (NCHW float32, batch 1). Structurally the `Preprocessing` of
 * src/image/families.ts, so the caller passes the model family's declared preprocessing.
 */
export interface CalibrationPreprocessing {
  description?: string;
  load(input: string, size: { width: number; height: number }): Promise<{ data: Float32Array }>;
}

/**
 * The feed builder used until a model contract says better: the image input gets the preprocessed image (moved
 * to NHWC when the model wants that); every other input gets a constant — 1 for floats (a neutral scale), 0 for
 * integers — with a note saying how many of the calibrated tensors that input can reach (0 means the ranges
 * cannot depend on the guess, as for PicoDet's `scale_factor`, which only rescales boxes after NMS).
 */
export function defaultFeedBuilder(model: LoadedModel, loader: CalibrationPreprocessing, calibrated: readonly string[]): FeedBuilder {
  const image = imageInput(model);
  const size = imageSize(image);
  const others = feedInputs(model).filter((i) => i.name !== image.name);
  const constants: FeedRecord = {};
  const notes: string[] = [];
  for (const input of others) {
    const value = input.type === 'float32' ? 1 : 0;
    constants[input.name] = filled(input, value);
    const reached = reachedTensors(model, input.name, calibrated);
    notes.push(
      `input '${input.name}' ${input.type}[${input.dims.join(',')}] is not the image: calibration fed it ${value} (no model contract says what it means); ` +
        (reached === 0 ? `it reaches none of the ${calibrated.length} calibrated tensors, so their ranges do not depend on it` : `it reaches ${reached} of the ${calibrated.length} calibrated tensors, whose ranges may be off`),
    );
  }
  if (image.dims[0] !== 1) notes.push(`input '${image.name}' takes a batch of ${image.dims[0]}: each calibration sample repeats one image`);
  const channels = image.layout === 'nchw' ? image.dims[1]! : image.dims[3]!;
  return {
    description: `${loader.description ?? 'YOLO letterbox'}${image.layout === 'nhwc' ? ', moved to NHWC' : ''}`,
    notes,
    async build(file) {
      const { data } = await loader.load(file, size);
      if (data.length * image.dims[0]! !== image.dims.reduce((a, b) => a * b, 1) || channels !== 3) {
        throw new EdgeoptError(`input '${image.name}' [${image.dims.join(',')}] does not take a 3-channel image; calibrate with feed records from the library`);
      }
      const one = image.layout === 'nhwc' ? toChannelsLast(data, channels, size.height, size.width) : data;
      const batch = image.dims[0] === 1 ? one : repeat(one, image.dims[0]!);
      return { ...constants, [image.name]: { type: 'float32', dims: [...image.dims], data: batch } };
    },
  };
}

function repeat(data: Float32Array, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let i = 0; i < times; i++) out.set(data, i * data.length);
  return out;
}
