/**
 * A detector ready to run on images: one session and the model's contract (how to feed it, how to read it).
 * Evaluation, fidelity and `edgeopt detect` all go through here, so they preprocess, feed, decode and map
 * boxes back identically, for any model whose contract resolves.
 */
import { readFile } from 'node:fs/promises';
import { ortNodeRuntime } from '../runtime/ort-node.js';
import type { PlainTensor, RuntimeSession, SessionConfig } from '../runtime/runtime.js';
import { padTensor } from '../image/preprocessing.js';
import { preprocessImage, type DecodedRgb, type ImageTensor } from '../image/preprocess.js';
import { loadModel } from '../onnx/model-io.js';
import { float16BitsToFloat32 } from '../util/float16.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { contractFeeds, toSourceDetections, type FeedRecord } from './contract/feeds.js';
import { assertFeedable } from './contract/read.js';
import { resolveContract } from './contract/resolve.js';
import { modelSignature, withRunDims } from './contract/signature.js';
import type { ContractFlags, ModelContract, ModelSignature, ResolvedContract } from './contract/types.js';
import { decodeOutputs, decoderNamed, type DecodedDetections, type Detection } from './decoders/index.js';
import type { DecodeOptions, DecoderFamily, OutputTensor } from './decoders/types.js';
import { parseNamesList } from './names.js';

export interface DetectorOptions {
  /** `--preprocess`, `--decoder`, `--aux-input`, `--classes` as parsed flags. */
  contract?: ContractFlags;
  /** Input size for models with a dynamic input shape (the older `--imgsz`; same as `--preprocess size=`). */
  imgsz?: number;
  /** Class names overriding the model's metadata. */
  names?: string[];
  session?: SessionConfig;
  /** Fail when no decoder fits (detection and accuracy need one; fidelity does not). Default true. */
  requireDecoder?: boolean;
}

export interface Detector {
  modelPath: string;
  /** The runtime session (its provider and any fallback are the run's provenance). */
  session: RuntimeSession;
  resolved: ResolvedContract;
  contract: ModelContract;
  /** The outputs as the model declares them (undefined dims are symbolic). */
  outputs: ModelSignature['outputs'];
  /** The decoder family, when one fits. */
  family: DecoderFamily | undefined;
  width: number;
  height: number;
  /** Class names: flags, the stored contract, the model's metadata, or undefined. */
  names: string[] | undefined;
  /** One inference on a complete feed record; every output, in model order, as plain tensors. */
  run(feeds: FeedRecord): Promise<OutputTensor[]>;
  release(): Promise<void>;
}

export async function readNamesFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EdgeoptError(`cannot read class names file ${path}: ${describeError(err)}`);
  }
  const names = parseNamesList(text);
  if (names.length === 0) throw new EdgeoptError(`class names file ${path} is empty (expected one name per line)`);
  return names;
}

const DECODABLE_TYPES: ReadonlySet<string> = new Set(['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'bool']);

/** The decoders' view of a runtime output: float16 bits widened to float32, other decodable types as they are. */
function plainOutput(name: string, t: PlainTensor, modelPath: string): OutputTensor {
  if (t.type === 'float16') return { name, dims: t.dims, data: Float32Array.from(t.data as Uint16Array, float16BitsToFloat32) };
  if (DECODABLE_TYPES.has(t.type)) return { name, dims: t.dims, data: t.data as OutputTensor['data'] };
  throw new EdgeoptError(`${modelPath}: output '${name}' has element type ${t.type}, which edgeopt cannot read`);
}

function mergeFlags(options: DetectorOptions): ContractFlags {
  const flags: ContractFlags = { ...(options.contract ?? {}) };
  if (options.names) flags.names = options.names;
  if (options.imgsz !== undefined) {
    const pre = flags.preprocess ?? {};
    if (pre.width !== undefined && (pre.width !== options.imgsz || pre.height !== options.imgsz)) {
      throw new EdgeoptError(`--imgsz ${options.imgsz} contradicts --preprocess size=${pre.width}x${pre.height}`);
    }
    flags.preprocess = { ...pre, width: options.imgsz, height: options.imgsz };
  }
  return flags;
}

export async function openDetector(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
  if (/\.(pt|pth)$/i.test(modelPath)) {
    throw new EdgeoptError(`${modelPath} is a PyTorch checkpoint; convert it to ONNX first (edgeopt convert), then pass the .onnx`);
  }
  const flags = mergeFlags(options);
  const signature = modelSignature(await loadModel(modelPath));
  let resolved = resolveContract(signature, flags);
  assertFeedable(resolved, modelPath);
  const session = await ortNodeRuntime.open(modelPath, options.session ?? {});
  const outputNames = session.outputs.map((o) => o.name);
  const run = async (feeds: FeedRecord): Promise<OutputTensor[]> => {
    const result = await session.run(feeds, outputNames);
    return outputNames.map((name) => plainOutput(name, result[name]!, modelPath));
  };
  try {
    // Symbolic output dims (NMS inside, dynamic batch) can hide what the head is: one run on a blank image shows it.
    if (!resolved.contract.decoder && signature.outputs.some((o) => o.dims.some((d) => d === undefined))) {
      const c = resolved.contract;
      const probe = await run(contractFeeds(c, { data: padTensor(c.input), dims: inputDimsOf(c), srcWidth: c.input.width, srcHeight: c.input.height }));
      resolved = resolveContract(withRunDims(signature, probe.map((o) => o.dims)), flags);
    }
  } catch (err) {
    await session.release();
    throw err;
  }
  if ((options.requireDecoder ?? true) && !resolved.contract.decoder) {
    await session.release();
    throw new EdgeoptError(`${modelPath}: ${resolved.decoderProblem}`);
  }
  const { contract } = resolved;
  return {
    modelPath,
    session,
    resolved,
    contract,
    outputs: signature.outputs,
    family: contract.decoder ? decoderNamed(contract.decoder.name) : undefined,
    width: contract.input.width,
    height: contract.input.height,
    names: contract.names,
    run,
    release: () => session.release(),
  };
}

function inputDimsOf(c: ModelContract): number[] {
  return c.input.layout === 'nchw' ? [1, 3, c.input.height, c.input.width] : [1, c.input.height, c.input.width, 3];
}

export interface ImageRun {
  tensor: ImageTensor;
  outputs: OutputTensor[];
  timings: { preprocessMs: number; inferenceMs: number };
}

/** Preprocess → feed → run, with the time each step took (no decoding: fidelity needs only this). */
export async function runOnImage(detector: Detector, image: DecodedRgb): Promise<ImageRun> {
  const t0 = performance.now();
  const tensor = await preprocessImage(image, detector.contract.input);
  const feeds = contractFeeds(detector.contract, tensor);
  const t1 = performance.now();
  const outputs = await detector.run(feeds);
  return { tensor, outputs, timings: { preprocessMs: t1 - t0, inferenceMs: performance.now() - t1 } };
}

export interface ImageDetections extends ImageRun {
  /** Boxes in source-image pixels (clipped). */
  detections: Detection[];
  /** The decoder's own result, before mapping back (for the sanity check). */
  decoded: DecodedDetections;
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

/** Decodes one run's outputs under the detector's contract and maps the boxes to the source image. */
export function decodeRun(detector: Detector, run: ImageRun, decode: DecodeOptions): { detections: Detection[]; decoded: DecodedDetections } {
  const { family, contract } = detector;
  if (!family || !contract.decoder) throw new EdgeoptError(`${detector.modelPath}: ${detector.resolved.decoderProblem}`);
  const decoded = decodeOutputs(family, run.outputs, contract.decoder.params, { inputWidth: detector.width, inputHeight: detector.height, numClasses: detector.names?.length }, decode);
  const detections = toSourceDetections(decoded.detections, decoded.space, run.tensor.geometry, run.tensor.srcWidth, run.tensor.srcHeight);
  return { detections, decoded };
}

/** Preprocess → run → decode → map back to the source image, with the time each step took. */
export async function detectInImage(detector: Detector, image: DecodedRgb, decode: DecodeOptions): Promise<ImageDetections> {
  const run = await runOnImage(detector, image);
  const t2 = performance.now();
  const { detections, decoded } = decodeRun(detector, run, decode);
  return { ...run, detections, decoded, timings: { ...run.timings, postprocessMs: performance.now() - t2 } };
}

/**
 * Why two detectors' outputs cannot be compared value by value (different names, ranks or fixed dims: another
 * architecture), or undefined. Symbolic dims may differ per image (NMS inside) and are compared per image instead.
 */
export function outputMismatch(model: Detector, reference: Detector): string | undefined {
  const describe = (d: Detector) => d.outputs.map((o) => `${o.name} [${o.dims.map((x) => x ?? '?').join(',')}]`).join(', ');
  const same =
    model.outputs.length === reference.outputs.length &&
    model.outputs.every((o, i) => {
      const r = reference.outputs[i]!;
      return o.name === r.name && o.dims.length === r.dims.length && o.dims.every((d, k) => d === undefined || r.dims[k] === undefined || d === r.dims[k]);
    });
  return same ? undefined : `reference outputs (${describe(reference)}) and model outputs (${describe(model)}) differ in shape; compare models of the same architecture`;
}
