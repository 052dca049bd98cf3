// Frame → model input, and model boxes → frame pixels. The geometry, the preprocessing (border grey, scale,
// channel packing) and the input-size fallback are edgeopt's own modules, the ones the CLI runs; the canvas
// only resamples.
import { inputSizeFromDims } from '/lib/image/input-size.js';
import { letterboxGeometry, unletterboxBox } from '/lib/image/letterbox.js';
import { YOLO_PREPROCESSING, packTensor, padTensor } from '/lib/image/preprocessing.js';
import { float32ToFloat16Bits } from '/lib/util/float16.js';

/**
 * @typedef {import('../src/demo/api.js').DemoModelInfo} DemoModel
 * @typedef {import('../src/image/letterbox.js').LetterboxGeometry} LetterboxGeometry
 * @typedef {import('../src/eval/decode.js').Detection} Detection
 * @typedef {{ data: Float32Array | Uint16Array, dims: number[] }} ModelInput
 */

/** @type {HTMLCanvasElement | undefined} */
let scratch;

/**
 * @param {number} width
 * @param {number} height
 * @returns {CanvasRenderingContext2D}
 */
function scratchContext(width, height) {
  scratch ??= document.createElement('canvas');
  if (scratch.width !== width) scratch.width = width;
  if (scratch.height !== height) scratch.height = height;
  const ctx = scratch.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  return ctx;
}

/**
 * The model's input size [width, height]; symbolic dims take the CLI's fallback.
 * @param {Pick<DemoModel, 'inputShape'>} model
 * @returns {[number, number]}
 */
export function inputSize(model) {
  return inputSizeFromDims(model.inputShape);
}

/**
 * Float32 planes as the model wants them: float16 models get half-precision bits.
 * @param {Float32Array} data
 * @param {number[]} dims
 * @param {Pick<DemoModel, 'inputType'>} model
 * @returns {ModelInput}
 */
function forModel(data, dims, model) {
  if (model.inputType === 'float16') return { data: Uint16Array.from(data, float32ToFloat16Bits), dims };
  return { data, dims };
}

/**
 * The YOLO preprocessing at the model's input size (what `edgeopt detect` feeds a YOLO model).
 * @param {Pick<DemoModel, 'inputShape'>} model
 */
function preprocessingFor(model) {
  const [width, height] = inputSize(model);
  return { ...YOLO_PREPROCESSING, width, height };
}

/**
 * The model input from the RGBA pixels of the resized image (geometry.newWidth × newHeight), packed into the
 * letterbox by the CLI's own packer. Pure: the canvas part is `letterboxFrame`.
 * @param {ArrayLike<number>} rgba
 * @param {LetterboxGeometry} geometry
 * @param {Pick<DemoModel, 'inputShape' | 'inputType'>} model
 * @returns {ModelInput}
 */
export function rgbaToModelInput(rgba, geometry, model) {
  const p = preprocessingFor(model);
  const data = packTensor({ pixels: rgba, width: geometry.newWidth, height: geometry.newHeight, channels: 4 }, geometry, p);
  return forModel(data, [1, 3, p.height, p.width], model);
}

/**
 * Letterboxes `source` (a video, image or bitmap of srcWidth × srcHeight) into an NCHW RGB tensor in
 * 0..1 for `model`.
 * @param {CanvasImageSource} source
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @param {Pick<DemoModel, 'inputShape' | 'inputType'>} model
 * @returns {ModelInput & { geometry: LetterboxGeometry }}
 */
export function letterboxFrame(source, srcWidth, srcHeight, model) {
  const [width, height] = inputSize(model);
  const geometry = letterboxGeometry(srcWidth, srcHeight, width, height);
  const ctx = scratchContext(geometry.newWidth, geometry.newHeight);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(source, 0, 0, srcWidth, srcHeight, 0, 0, geometry.newWidth, geometry.newHeight);
  const rgba = ctx.getImageData(0, 0, geometry.newWidth, geometry.newHeight).data;
  return { ...rgbaToModelInput(rgba, geometry, model), geometry };
}

/**
 * A uniform grey input (the letterbox border, 114), for benchmarking before any frame exists.
 * @param {Pick<DemoModel, 'inputShape' | 'inputType'>} model
 * @returns {ModelInput}
 */
export function greyInput(model) {
  const p = preprocessingFor(model);
  return forModel(padTensor(p), [1, 3, p.height, p.width], model);
}

/**
 * Detections in model-input pixels → the same detections in frame pixels.
 * @param {Detection[]} detections
 * @param {LetterboxGeometry} geometry
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @returns {Detection[]}
 */
export function toFrameDetections(detections, geometry, srcWidth, srcHeight) {
  return detections.map((d) => ({ ...d, box: unletterboxBox(d.box, geometry, srcWidth, srcHeight) }));
}
