/**
 * Letterbox geometry of the YOLO predictors (YOLOv5 and Ultralytics `LetterBox`): scale the image by one ratio so
 * that it fits the model input, then pad it equally on both sides. Pure arithmetic, no I/O: the browser demo loads
 * this file as well, so it must not import anything from node.
 */
import { roundHalfToEven } from '../util/rounding.js';

export interface LetterboxGeometry {
  /** Scale from source pixels to model-input pixels (the same on both axes). */
  ratio: number;
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

/**
 * Python's round(): halves go to the even neighbour. The predictors compute sizes with it, and a letterbox
 * that differs by one pixel from theirs shifts every box.
 */

export function letterboxGeometry(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number): LetterboxGeometry {
  if (!(srcWidth > 0 && srcHeight > 0 && dstWidth > 0 && dstHeight > 0)) {
    throw new RangeError(`letterbox needs positive sizes, got ${srcWidth}x${srcHeight} -> ${dstWidth}x${dstHeight}`);
  }
  const ratio = Math.min(dstHeight / srcHeight, dstWidth / srcWidth);
  const newWidth = Math.min(dstWidth, roundHalfToEven(srcWidth * ratio));
  const newHeight = Math.min(dstHeight, roundHalfToEven(srcHeight * ratio));
  const dw = (dstWidth - newWidth) / 2;
  const dh = (dstHeight - newHeight) / 2;
  // The ±0.1 puts the odd pixel of an odd total padding at the bottom/right, as the predictors do.
  return {
    ratio,
    newWidth,
    newHeight,
    padLeft: roundHalfToEven(dw - 0.1),
    padRight: roundHalfToEven(dw + 0.1),
    padTop: roundHalfToEven(dh - 0.1),
    padBottom: roundHalfToEven(dh + 0.1),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Maps a box from model-input pixels back to source pixels (subtract pad, divide by ratio) and clips it to the image. */
export function unletterboxBox(box: readonly number[], geometry: LetterboxGeometry, srcWidth: number, srcHeight: number): Box {
  const { ratio, padLeft, padTop } = geometry;
  return [
    clamp((box[0]! - padLeft) / ratio, 0, srcWidth),
    clamp((box[1]! - padTop) / ratio, 0, srcHeight),
    clamp((box[2]! - padLeft) / ratio, 0, srcWidth),
    clamp((box[3]! - padTop) / ratio, 0, srcHeight),
  ];
}
