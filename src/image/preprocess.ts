import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { EdgeoptError, describeError } from '../util/errors.js';
import { resizeGeometry, type LetterboxGeometry } from './letterbox.js';
import { inputDims, packTensor, YOLO_PREPROCESSING, type ImagePreprocessing } from './preprocessing.js';

/** Image files edgeopt reads (calibration, evaluation, detection): what sharp decodes. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

/** Grey level of the letterbox border (the YOLO predictors pad with 114). */
export const LETTERBOX_PAD_VALUE = YOLO_PREPROCESSING.pad;

/** How the image is resized into the letterbox. See `resizeInto` for why the default is what it is. */
export type Resampling = 'bilinear-affine' | 'linear' | 'cubic' | 'lanczos3' | 'nearest';

export interface PreprocessOptions {
  width: number;
  height: number;
  resampling?: Resampling;
}

export interface ImageTensor {
  /** float32 in the layout, colour order and value range of the preprocessing (YOLO: NCHW, RGB, 0..1, border 114/255). */
  data: Float32Array;
  /** [1,3,H,W] (NCHW) or [1,H,W,3] (NHWC). */
  dims: [number, number, number, number];
  geometry: LetterboxGeometry;
  /** Size of the decoded image after EXIF orientation (what boxes are mapped back to). */
  srcWidth: number;
  srcHeight: number;
}

export interface DecodedRgb {
  /** Interleaved RGB bytes, 3 per pixel. */
  pixels: Buffer;
  width: number;
  height: number;
}

export interface DecodeImageOptions {
  /**
   * 'error' (default) rejects files the decoder cannot read; 'warning' also rejects files it reads only with a
   * complaint ("Corrupt JPEG data: premature end of data segment"), whose pixels are partly made up — what
   * dataset checks want. No clean COCO image here raises a warning.
   */
  failOn?: 'error' | 'warning';
}

/**
 * Decodes any image sharp reads to 8-bit sRGB without alpha, upright according to its EXIF orientation
 * (OpenCV's imread, which the reference predictors use, also honours the orientation).
 */
export async function decodeRgb(input: string | Buffer, options: DecodeImageOptions = {}): Promise<DecodedRgb> {
  try {
    const { data, info } = await sharp(input, { failOn: options.failOn ?? 'error' })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels after conversion, got ${info.channels}`);
    return { pixels: data, width: info.width, height: info.height };
  } catch (err) {
    const what = typeof input === 'string' ? input : 'image buffer';
    throw new ImageDecodeError(`cannot decode image ${what}: ${describeError(err)}`, { cause: err });
  }
}

/** An image file that cannot be decoded: bad data, not a bug (dataset and calibration loops skip and count it). */
export class ImageDecodeError extends EdgeoptError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'EdgeoptError';
  }
}

/** Why a dataset image could not be read, for the one warning line it gets: 'empty' or 'corrupt', and the decoder's words. */
export async function unreadableImage(path: string, err: unknown): Promise<{ reason: string; detail: string }> {
  if ((await stat(path).catch(() => undefined))?.size === 0) return { reason: 'empty', detail: 'empty file (0 bytes)' };
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  return { reason: 'corrupt', detail: `not a readable image (${describeError(cause)})` };
}

/**
 * Resizes decoded RGB to the letterbox's inner size. The default is libvips' affine transform with a bilinear
 * interpolator and pixel-centre offsets, which is the same sampling as OpenCV's INTER_LINEAR (no antialiasing
 * filter when shrinking); sharp's `resize` kernels low-pass filter when shrinking and drift further from the
 * reference tensors (measured in preprocess.test.ts).
 */
async function resizeInto(image: DecodedRgb, geometry: LetterboxGeometry, resampling: Resampling): Promise<Buffer> {
  const { newWidth, newHeight } = geometry;
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  if (newWidth === image.width && newHeight === image.height) return image.pixels;
  if (resampling === 'bilinear-affine') {
    const sx = newWidth / image.width;
    const sy = newHeight / image.height;
    // Output pixel centre (x + 0.5) / s - 0.5 in the input, as OpenCV samples.
    const { data, info } = await sharp(image.pixels, raw)
      .affine([sx, 0, 0, sy], {
        interpolator: sharp.interpolators.bilinear,
        idx: 0.5,
        idy: 0.5,
        odx: -0.5,
        ody: -0.5,
      })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== newWidth || info.height !== newHeight || info.channels !== 3) {
      throw new Error(`affine resize gave ${info.width}x${info.height}x${info.channels}, expected ${newWidth}x${newHeight}x3`);
    }
    return data;
  }
  const { data } = await sharp(image.pixels, raw)
    .resize(newWidth, newHeight, { fit: 'fill', kernel: resampling, fastShrinkOnLoad: false })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return data;
}

/**
 * Decoded RGB pixels → the model's input tensor, as `preprocessing` says: resize (letterbox, top-left letterbox
 * or stretch), pad, colour order, scale, mean/std, layout. The one path for detection, evaluation and calibration.
 */
export async function preprocessImage(image: DecodedRgb, preprocessing: ImagePreprocessing, resampling: Resampling = 'bilinear-affine'): Promise<ImageTensor> {
  const geometry = resizeGeometry(image.width, image.height, preprocessing.width, preprocessing.height, preprocessing.resize);
  const resized = await resizeInto(image, geometry, resampling);
  const data = packTensor({ pixels: resized, width: geometry.newWidth, height: geometry.newHeight, channels: 3 }, geometry, preprocessing);
  return { data, dims: inputDims(preprocessing), geometry, srcWidth: image.width, srcHeight: image.height };
}

/** Letterboxes decoded RGB pixels the YOLO way (pad 114, RGB, /255, NCHW). */
export async function letterboxToTensor(image: DecodedRgb, options: PreprocessOptions): Promise<ImageTensor> {
  return preprocessImage(image, { ...YOLO_PREPROCESSING, width: options.width, height: options.height }, options.resampling);
}

/** YOLO-family preprocessing of an image file or encoded buffer. */
export async function loadImageTensor(input: string | Buffer, options: PreprocessOptions): Promise<ImageTensor> {
  return letterboxToTensor(await decodeRgb(input), options);
}
