/**
 * Resize geometry: how a source image is placed into the model input. One implementation for the three ways
 * detectors are fed — the YOLO predictors' centred letterbox, YOLOX's top-left letterbox, and a plain stretch —
 * and for mapping boxes back. Pure arithmetic, no I/O: the browser demo loads this file as well, so it must not
 * import anything from node.
 */
import { roundHalfToEven } from '../util/rounding.js';

/**
 * - `letterbox`: one scale for both axes, padded equally on both sides (YOLOv5/Ultralytics `LetterBox`).
 * - `letterbox-topleft`: the same scale, the image in the top-left corner, all padding right and bottom (YOLOX).
 * - `stretch`: each axis scaled to fill the input, aspect ratio not kept (PaddleDetection, Yolo-FastestV2, SSD).
 */
export type ResizeMode = 'letterbox' | 'letterbox-topleft' | 'stretch';

export const RESIZE_MODES: readonly ResizeMode[] = ['letterbox', 'letterbox-topleft', 'stretch'];

export interface LetterboxGeometry {
  /** Scale from source pixels to model-input pixels on each axis (equal for the letterbox modes). */
  ratioX: number;
  ratioY: number;
  /** Size of the resized image inside the padded input. */
  newWidth: number;
  newHeight: number;
  padLeft: number;
  padTop: number;
  padRight: number;
  padBottom: number;
}

/** [x1, y1, x2, y2] in pixels. */
export type Box = [number, number, number, number];

function checkSizes(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): void {
  if (!(srcWidth > 0 && srcHeight > 0 && dstWidth > 0 && dstHeight > 0)) {
    throw new RangeError(`letterbox needs positive sizes, got ${srcWidth}x${srcHeight} -> ${dstWidth}x${dstHeight}`);
  }
}

/**
 * The centred letterbox of the YOLO predictors. Sizes use Python's round() (halves to even), as the predictors
 * compute them: a letterbox one pixel off theirs shifts every box.
 */
export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): LetterboxGeometry {
  return resizeGeometry(srcWidth, srcHeight, dstWidth, dstHeight, 'letterbox');
}

export function resizeGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, mode: ResizeMode): LetterboxGeometry {
  checkSizes(srcWidth, srcHeight, dstWidth, dstHeight);
  if (mode === 'stretch') {
    return { ratioX: dstWidth / srcWidth, ratioY: dstHeight / srcHeight, newWidth: dstWidth, newHeight: dstHeight, padLeft: 0, padTop: 0, padRight: 0, padBottom: 0 };
  }
  const ratio = Math.min(dstHeight / srcHeight, dstWidth / srcWidth);
  const newWidth = Math.min(dstWidth, roundHalfToEven(srcWidth * ratio));
  const newHeight = Math.min(dstHeight, roundHalfToEven(srcHeight * ratio));
  const dw = dstWidth - newWidth;
  const dh = dstHeight - newHeight;
  if (mode === 'letterbox-topleft') {
    return { ratioX: ratio, ratioY: ratio, newWidth, newHeight, padLeft: 0, padTop: 0, padRight: dw, padBottom: dh };
  }
  // The ±0.1 puts the odd pixel of an odd total padding at the bottom/right, as the predictors do.
  return {
    ratioX: ratio,
    ratioY: ratio,
    newWidth,
    newHeight,
    padLeft: roundHalfToEven(dw / 2 - 0.1),
    padRight: roundHalfToEven(dw / 2 + 0.1),
    padTop: roundHalfToEven(dh / 2 - 0.1),
    padBottom: roundHalfToEven(dh / 2 + 0.1),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Maps a box from model-input pixels back to source pixels (subtract pad, divide by scale) and clips it to the image. */
export function unletterboxBox(box: readonly number[], geometry: LetterboxGeometry, srcWidth: number, srcHeight: number): Box {
  const { ratioX, ratioY, padLeft, padTop } = geometry;
  return [
    clamp((box[0]! - padLeft) / ratioX, 0, srcWidth),
    clamp((box[1]! - padTop) / ratioY, 0, srcHeight),
    clamp((box[2]! - padLeft) / ratioX, 0, srcWidth),
    clamp((box[3]! - padTop) / ratioY, 0, srcHeight),
  ];
}
