// Frame → model input, and model boxes → frame pixels. The geometry is edgeopt's own letterbox
// module (the one the CLI uses); the canvas only does the resampling.
import { letterboxGeometry, unletterboxBox } from '/lib/image/letterbox.js';
import { float32ToFloat16Bits } from '/lib/util/float16.js';

/** Grey of the letterbox border, as the YOLO predictors pad. */
const PAD_VALUE = 114;

let scratch;

function scratchContext(width, height) {
  scratch ??= document.createElement('canvas');
  if (scratch.width !== width) scratch.width = width;
  if (scratch.height !== height) scratch.height = height;
  return scratch.getContext('2d', { willReadFrequently: true });
}

/** The model's input size [width, height], 640×640 when the model leaves it symbolic. */
export function inputSize(model) {
  const [, , h, w] = model.inputShape;
  return [w ?? 640, h ?? 640];
}

/**
 * Letterboxes `source` (a video, image or bitmap of srcWidth × srcHeight) into an NCHW RGB tensor in
 * 0..1 for `model`; float16 models get half-precision bits.
 */
export function letterboxFrame(source, srcWidth, srcHeight, model) {
  const [width, height] = inputSize(model);
  const geometry = letterboxGeometry(srcWidth, srcHeight, width, height);
  const ctx = scratchContext(width, height);
  ctx.fillStyle = `rgb(${PAD_VALUE}, ${PAD_VALUE}, ${PAD_VALUE})`;
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(source, 0, 0, srcWidth, srcHeight, geometry.padLeft, geometry.padTop, geometry.newWidth, geometry.newHeight);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    data[i] = rgba[4 * i] / 255;
    data[plane + i] = rgba[4 * i + 1] / 255;
    data[2 * plane + i] = rgba[4 * i + 2] / 255;
  }
  const dims = [1, 3, height, width];
  if (model.inputType === 'float16') return { data: Uint16Array.from(data, float32ToFloat16Bits), dims, geometry };
  return { data, dims, geometry };
}

/** A uniform grey input (the letterbox border colour), for benchmarking before any frame exists. */
export function greyInput(model) {
  const [width, height] = inputSize(model);
  const data = new Float32Array(3 * width * height).fill(PAD_VALUE / 255);
  const dims = [1, 3, height, width];
  if (model.inputType === 'float16') return { data: Uint16Array.from(data, float32ToFloat16Bits), dims };
  return { data, dims };
}

/** Detections in model-input pixels → the same detections in frame pixels. */
export function toFrameDetections(detections, geometry, srcWidth, srcHeight) {
  return detections.map((d) => ({ ...d, box: unletterboxBox(d.box, geometry, srcWidth, srcHeight) }));
}
