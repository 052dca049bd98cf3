/**
 * The two YOLO output layouts edgeopt started with, read from the output shape alone: kept for the browser page
 * and callers that have no model contract. Pure code without node imports; boxes stay in model-input pixels —
 * mapping back through the letterbox is the caller's step (`unletterboxBox`).
 */
import type { ModelFamily } from '../models/family.js';
import { EdgeoptError } from '../util/errors.js';
import { DEFAULT_MAX_DETECTIONS, decodeOutputs, type Detection } from './decoders/index.js';
import type { DecodeOptions } from './decoders/types.js';
import { ultralytics } from './decoders/ultralytics.js';
import { yolov5 } from './decoders/yolov5.js';

export type { Detection, DecodeOptions };

export interface OutputLayoutInfo {
  /** The family's layout (see ModelFamily): yolov5 scores are obj × cls; ultralytics has no objectness. */
  layout: ModelFamily;
  numBoxes: number;
  numClasses: number;
}

/**
 * Recognises the layout from the output dims: the box axis is always the longer one (thousands of anchors
 * against 5 + nc channels), and whether it comes first tells the two families apart. When the class count is
 * known (model metadata), it must agree, which rejects outputs that merely have three dims.
 */
export function detectOutputLayout(dims: readonly number[], numClassesHint?: number): OutputLayoutInfo {
  const shape = `[${dims.join(',')}]`;
  if (dims.length !== 3 || dims[0] !== 1 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new EdgeoptError(
      `output ${shape} is not a known detector layout (expected YOLOv5 [1,N,5+classes] or Ultralytics [1,4+classes,N])`,
    );
  }
  const [, a, b] = dims as [number, number, number];
  const info: OutputLayoutInfo = a > b ? { layout: 'yolov5', numBoxes: a, numClasses: b - 5 } : { layout: 'ultralytics', numBoxes: b, numClasses: a - 4 };
  if (info.numClasses < 1 || (numClassesHint !== undefined && numClassesHint !== info.numClasses)) {
    const expected = numClassesHint === undefined ? '' : ` with ${numClassesHint} classes`;
    throw new EdgeoptError(
      `output ${shape} is not a known detector layout${expected} (expected YOLOv5 [1,N,5+classes] or Ultralytics [1,4+classes,N])`,
    );
  }
  return info;
}

export { DEFAULT_MAX_DETECTIONS };

/**
 * Thresholds for showing detections to a person (the YOLO predictors' defaults), as opposed to the
 * 0.001 confidence of mAP: `edgeopt detect`, the demo page and the fidelity agreement all use these.
 */
export const DISPLAY_THRESHOLDS = { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: DEFAULT_MAX_DETECTIONS } as const;

/**
 * Decodes one image's output (batch 1) of the two YOLO layouts into detections sorted by score, boxes in
 * model-input pixels. The layout is read from the shape as `detectOutputLayout` does; other families go
 * through the decoder registry (`decoders/index.ts`) with a model contract.
 */
export function decodeDetections(output: Float32Array, dims: readonly number[], options: DecodeOptions): Detection[] {
  const info = detectOutputLayout(dims, options.numClasses);
  const expected = info.numBoxes * (info.numClasses + (info.layout === 'yolov5' ? 5 : 4));
  if (output.length < expected) {
    throw new EdgeoptError(`output has ${output.length} values, but dims [${dims.join(',')}] need ${expected}`);
  }
  const family = info.layout === 'yolov5' ? yolov5 : ultralytics;
  return decodeOutputs(family, [{ name: 'output', dims, data: output }], {}, { inputWidth: 0, inputHeight: 0 }, options).detections;
}
