/**
 * A YOLO detector ready to run on images: one onnxruntime session, the input size, the class names and the
 * output layout. Evaluation and `edgeopt detect` both go through here, so they preprocess, decode and map
 * boxes back identically.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { openSession, type OpenedSession, type SessionConfig } from '../bench/session.js';
import { unletterboxBox } from '../image/letterbox.js';
import { DEFAULT_INPUT_SIZE } from '../image/input-size.js';
import { letterboxToTensor, type DecodedRgb, type ImageTensor } from '../image/preprocess.js';
import { getMetadata } from '../onnx/builder.js';
import { loadModel } from '../onnx/model-io.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { decodeDetections, detectOutputLayout, type DecodeOptions, type Detection, type OutputLayoutInfo } from './decode.js';
import { parseNamesList, parseNamesMetadata } from './names.js';

export interface DetectorOptions {
  /** Input size for models with a dynamic input shape (default: the model's `imgsz` metadata, else 640). */
  imgsz?: number;
  /** Class names overriding the model's metadata. */
  names?: string[];
  session?: SessionConfig;
}

export interface RawOutput {
  data: Float32Array;
  dims: number[];
}

export interface Detector {
  modelPath: string;
  opened: OpenedSession;
  inputName: string;
  outputName: string;
  width: number;
  height: number;
  /** Class names from `--classes`/options, the model's `names` metadata, or undefined. */
  names: string[] | undefined;
  /**
   * The output layout: known at open time when the output shape is static, otherwise after the first run.
   * Opening fails with a clear message when a static output shape is not a known detector layout.
   */
  layout: OutputLayoutInfo | undefined;
  /** Runs the model on a preprocessed tensor. */
  run(tensor: ImageTensor): Promise<RawOutput>;
  release(): Promise<void>;
}

function staticDim(d: unknown): number | undefined {
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function imgszFromMetadata(text: string | undefined): number | undefined {
  const n = Number(text?.match(/\d+/)?.[0]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
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

export async function openDetector(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
  if (/\.pt$/i.test(modelPath)) {
    throw new EdgeoptError(`${modelPath} is a PyTorch checkpoint; convert it to ONNX first (edgeopt convert), then pass the .onnx`);
  }
  const metadata = getMetadata(await loadModel(modelPath));
  const opened = await openSession(modelPath, options.session ?? {});
  const { session } = opened;
  const input = session.inputMetadata[0];
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (!input || !inputName || !outputName) throw new EdgeoptError(`${modelPath} has no input or no output`);
  const shape = input.isTensor ? input.shape : [];
  if (shape.length !== 4 || (staticDim(shape[1]) !== undefined && shape[1] !== 3)) {
    throw new EdgeoptError(`${modelPath}: input '${inputName}' has shape [${shape.join(',')}], expected an image tensor [1,3,H,W]`);
  }
  const fallback = options.imgsz ?? imgszFromMetadata(metadata.imgsz) ?? DEFAULT_INPUT_SIZE;
  const height = staticDim(shape[2]) ?? fallback;
  const width = staticDim(shape[3]) ?? fallback;
  if (options.imgsz !== undefined && (width !== options.imgsz || height !== options.imgsz)) {
    throw new EdgeoptError(`${modelPath} has a fixed input size ${width}x${height}; --imgsz ${options.imgsz} cannot be used with it`);
  }
  const names = options.names ?? parseNamesMetadata(metadata.names);
  const outputShape = session.outputMetadata[0]?.isTensor ? session.outputMetadata[0].shape : [];
  const staticOutput = outputShape.length > 0 && outputShape.every((d) => staticDim(d) !== undefined);
  let layout: OutputLayoutInfo | undefined;
  try {
    layout = staticOutput ? detectOutputLayout(outputShape as number[]) : undefined;
  } catch (err) {
    await session.release();
    throw new EdgeoptError(`${modelPath}: ${describeError(err)}`);
  }
  const detector: Detector = {
    modelPath,
    opened,
    inputName,
    outputName,
    width,
    height,
    names,
    layout,
    async run(tensor) {
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run({ [inputName]: new ort.Tensor('float32', tensor.data, tensor.dims) });
      } catch (err) {
        throw new EdgeoptError(`onnxruntime failed to run ${modelPath}: ${describeError(err)}`);
      }
      const out = result[outputName] as ort.Tensor;
      if (out.type !== 'float32') throw new EdgeoptError(`${modelPath}: output '${outputName}' is ${out.type}, expected float32`);
      const dims = [...out.dims];
      detector.layout ??= detectOutputLayout(dims);
      return { data: out.data as Float32Array, dims };
    },
    release: () => session.release(),
  };
  return detector;
}

/** The detector's output layout, running it once on `tensor` when the model's output shape is dynamic. */
export async function resolveLayout(detector: Detector, tensor: ImageTensor): Promise<OutputLayoutInfo> {
  if (!detector.layout) await detector.run(tensor);
  return detector.layout!;
}

export interface ImageDetections {
  tensor: ImageTensor;
  output: RawOutput;
  /** Boxes in source-image pixels. */
  detections: Detection[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

/** Letterbox → run → decode → map back to the source image, with the time each step took. */
export async function detectInImage(detector: Detector, image: DecodedRgb, decode: DecodeOptions): Promise<ImageDetections> {
  const t0 = performance.now();
  const tensor = await letterboxToTensor(image, { width: detector.width, height: detector.height });
  const t1 = performance.now();
  const output = await detector.run(tensor);
  const t2 = performance.now();
  const raw = decodeDetections(output.data, output.dims, decode);
  const detections = raw.map((d) => ({ ...d, box: unletterboxBox(d.box, tensor.geometry, tensor.srcWidth, tensor.srcHeight) }));
  const t3 = performance.now();
  return { tensor, output, detections, timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 } };
}
