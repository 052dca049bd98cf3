/**
 * Preprocessing declared per model family, so that detection, evaluation and INT8 calibration all feed a model
 * exactly what it was trained on without hard-coding it in each place.
 */
import type { ModelFamily } from '../models/family.js';
import { loadImageTensor, type ImageTensor } from './preprocess.js';

export interface Preprocessing {
  family: ModelFamily;
  /** One line for reports and provenance. */
  description: string;
  /** Letterboxes an image file or encoded buffer into the model's input tensor. */
  load(input: string | Buffer, size: { width: number; height: number }): Promise<ImageTensor>;
}

const YOLO_LETTERBOX = 'letterbox (bilinear, pad 114, centred), RGB, /255, NCHW float32';

const PREPROCESSING: Record<ModelFamily, Preprocessing> = {
  yolov5: { family: 'yolov5', description: YOLO_LETTERBOX, load: (input, size) => loadImageTensor(input, size) },
  ultralytics: { family: 'ultralytics', description: YOLO_LETTERBOX, load: (input, size) => loadImageTensor(input, size) },
};

export function preprocessFor(family: ModelFamily): Preprocessing {
  return PREPROCESSING[family];
}

/** The family whose output layout a model has: a layout is named by its family (both YOLO families happen to share one preprocessing). */
export function familyOfLayout(layout: ModelFamily): ModelFamily {
  return layout;
}
