// Frame → model feeds, and model boxes → frame pixels, by the model's contract (resize mode, pad, colour order,
// scale, mean/std, layout, auxiliary inputs). The geometry, the preprocessing, the feeds and the input-size
// fallback are edgeopt's own modules, the ones the CLI runs; the canvas only resamples.
import { contractFeeds, toSourceDetections } from '/lib/eval/contract/feeds.js';
import { decodeOutputs, decoderNamed } from '/lib/eval/decoders/index.js';
import { inputSizeFromDims } from '/lib/image/input-size.js';
import { resizeGeometry, unletterboxBox } from '/lib/image/letterbox.js';
import { YOLO_PREPROCESSING, inputDims, packTensor, padTensor } from '/lib/image/preprocessing.js';
import { float32ToFloat16Bits } from '/lib/util/float16.js';

/**
 * @typedef {import('../src/demo/api.js').DemoModelInfo} DemoModel
 * @typedef {import('../src/image/letterbox.js').LetterboxGeometry} LetterboxGeometry
 * @typedef {import('../src/eval/decode.js').Detection} Detection
 * @typedef {{ data: Float32Array | Uint16Array, dims: number[] }} ModelInput
 * @typedef {import('../src/runtime/runtime.js').FeedRecord} FeedRecord
 * @typedef {Pick<DemoModel, 'inputShape' | 'inputType'> & { contract?: DemoModel['contract'] }} FeedableModel
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
 * The model contract's preprocessing (what `edgeopt detect` feeds this model); a model served without a contract
 * gets the YOLO preprocessing at its input size.
 * @param {FeedableModel} model
 * @returns {import('../src/image/preprocessing.js').ImagePreprocessing}
 */
export function preprocessingFor(model) {
  if (model.contract) return model.contract.input;
  const [width, height] = inputSize(model);
  return { ...YOLO_PREPROCESSING, width, height };
}

/**
 * The resize of a srcWidth × srcHeight frame into the model input (letterbox, top-left letterbox or stretch).
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @param {FeedableModel} model
 * @returns {LetterboxGeometry}
 */
export function frameGeometry(srcWidth, srcHeight, model) {
  const p = preprocessingFor(model);
  return resizeGeometry(srcWidth, srcHeight, p.width, p.height, p.resize);
}

/**
 * The model input from the RGBA pixels of the resized image (geometry.newWidth × newHeight), packed by the CLI's
 * own packer in the contract's colour order, scale, mean/std and layout. Pure: the canvas part is `frameFeeds`.
 * @param {ArrayLike<number>} rgba
 * @param {LetterboxGeometry} geometry
 * @param {FeedableModel} model
 * @returns {ModelInput}
 */
export function rgbaToModelInput(rgba, geometry, model) {
  const p = preprocessingFor(model);
  const data = packTensor({ pixels: rgba, width: geometry.newWidth, height: geometry.newHeight, channels: 4 }, geometry, p);
  return forModel(data, inputDims(p), model);
}

/**
 * Every input the model takes for one frame: the image by the contract, plus its auxiliary inputs (PicoDet's
 * scale_factor, image sizes) from the frame size, as the CLI's feeds. A model without a contract gets its image only.
 * @param {ModelInput} input the image input (float32 planes, or float16 bits for a float16 model)
 * @param {FeedableModel & Pick<DemoModel, 'inputName'>} model
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @returns {FeedRecord}
 */
export function modelFeeds(input, model, srcWidth, srcHeight) {
  const image = input.data instanceof Uint16Array ? { type: /** @type {const} */ ('float16'), dims: input.dims, data: input.data } : { type: /** @type {const} */ ('float32'), dims: input.dims, data: input.data };
  if (!model.contract) return { [model.inputName]: image };
  // contractFeeds converts float32 planes to the input's element type itself, so hand it float32 and keep its image.
  const feeds = contractFeeds({ ...model.contract, input: { ...model.contract.input, type: 'float32' } }, { data: new Float32Array(0), dims: input.dims, srcWidth, srcHeight });
  feeds[model.contract.input.name] = image;
  return feeds;
}

/**
 * Resizes `source` (a video, image or bitmap of srcWidth × srcHeight) as the model's contract says and packs every
 * input the model takes.
 * @param {CanvasImageSource} source
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @param {FeedableModel & Pick<DemoModel, 'inputName'>} model
 * @returns {{ feeds: FeedRecord, geometry: LetterboxGeometry }}
 */
export function frameFeeds(source, srcWidth, srcHeight, model) {
  const geometry = frameGeometry(srcWidth, srcHeight, model);
  const ctx = scratchContext(geometry.newWidth, geometry.newHeight);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(source, 0, 0, srcWidth, srcHeight, 0, 0, geometry.newWidth, geometry.newHeight);
  const rgba = ctx.getImageData(0, 0, geometry.newWidth, geometry.newHeight).data;
  return { feeds: modelFeeds(rgbaToModelInput(rgba, geometry, model), model, srcWidth, srcHeight), geometry };
}

/**
 * A uniform input of the contract's pad colour (the letterbox border), for benchmarking before any frame exists.
 * @param {FeedableModel} model
 * @returns {ModelInput}
 */
export function greyInput(model) {
  const p = preprocessingFor(model);
  return forModel(padTensor(p), inputDims(p), model);
}

/**
 * The grey input and the auxiliary inputs of a frame the size of the model input.
 * @param {FeedableModel & Pick<DemoModel, 'inputName'>} model
 * @returns {FeedRecord}
 */
export function greyFeeds(model) {
  const p = preprocessingFor(model);
  return modelFeeds(greyInput(model), model, p.width, p.height);
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

/**
 * One frame's outputs → detections in frame pixels, by the model contract's decoder (every family the CLI decodes:
 * the same decode, class mapping and NMS), mapped back through the frame's resize; none when no decoder fits.
 * @param {Pick<DemoModel, 'contract'>} model
 * @param {import('../src/eval/decoders/types.js').OutputTensor[]} outputs every output, in the model's order
 * @param {LetterboxGeometry} geometry
 * @param {number} srcWidth
 * @param {number} srcHeight
 * @param {import('../src/eval/decoders/types.js').DecodeOptions} options
 * @returns {Detection[]}
 */
export function decodeFrame(model, outputs, geometry, srcWidth, srcHeight, options) {
  const decoder = model.contract?.decoder;
  const family = decoder ? decoderNamed(decoder.name) : undefined;
  if (!model.contract || !decoder || !family) return [];
  const { width, height } = model.contract.input;
  const decoded = decodeOutputs(family, outputs, decoder.params, { inputWidth: width, inputHeight: height, numClasses: model.contract.names?.length }, options);
  return toSourceDetections(decoded.detections, decoded.space, geometry, srcWidth, srcHeight);
}
