/**
 * Turns a YOLO detector's raw output into detections: layout detection from the output shape, confidence
 * filtering, box conversion and NMS. Pure code without node imports (the browser demo uses it too); boxes stay
 * in model-input pixels — mapping back through the letterbox is the caller's step (`unletterboxBox`).
 */
import type { Box } from '../image/letterbox.js';
import { EdgeoptError } from '../util/errors.js';
import { nonMaxSuppression, type NmsCandidates } from './nms.js';

export interface Detection {
  /** [x1, y1, x2, y2] in model-input pixels (or source pixels once mapped back). */
  box: Box;
  score: number;
  classId: number;
}

/**
 * - `yolov5`: [1, N, 5 + nc] rows of cx, cy, w, h, objectness, class scores (score = obj × cls).
 * - `ultralytics`: [1, 4 + nc, N] (YOLOv5u/v8/11 exports), columns of cx, cy, w, h, class scores; no objectness.
 */
export type OutputLayout = 'yolov5' | 'ultralytics';

export interface OutputLayoutInfo {
  layout: OutputLayout;
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

export interface DecodeOptions {
  /** Candidates need a score above this (0.25 for display, 0.001 for mAP). */
  confThreshold: number;
  /** NMS IoU threshold (0.45 for display; 0.6 YOLOv5 / 0.7 Ultralytics validators). */
  iouThreshold: number;
  maxDetections?: number;
  classAgnostic?: boolean;
  /**
   * Every class above the threshold becomes a candidate, not only the best one. The official validators
   * (and the trusted mAP numbers) use it; the predictors do not.
   */
  multiLabel?: boolean;
  /** Candidates kept (by score) before NMS, as the validators' max_nms. */
  maxCandidates?: number;
  /** Class count from the model's metadata, to validate the layout. */
  numClasses?: number;
}

export const DEFAULT_MAX_DETECTIONS = 300;
const DEFAULT_MAX_CANDIDATES = 30_000;

/** Growable structure-of-arrays candidate list. */
class CandidateList implements NmsCandidates {
  boxes = new Float32Array(4 * 1024);
  scores = new Float32Array(1024);
  classIds = new Int32Array(1024);
  count = 0;

  push(cx: number, cy: number, w: number, h: number, score: number, classId: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[4 * i] = cx - w / 2;
    this.boxes[4 * i + 1] = cy - h / 2;
    this.boxes[4 * i + 2] = cx + w / 2;
    this.boxes[4 * i + 3] = cy + h / 2;
    this.scores[i] = score;
    this.classIds[i] = classId;
  }

  private grow(): void {
    const n = this.scores.length * 2;
    const boxes = new Float32Array(4 * n);
    boxes.set(this.boxes);
    const scores = new Float32Array(n);
    scores.set(this.scores);
    const classIds = new Int32Array(n);
    classIds.set(this.classIds);
    this.boxes = boxes;
    this.scores = scores;
    this.classIds = classIds;
  }

  /** Keeps the `limit` best-scoring candidates (the validators' max_nms), preserving no particular order. */
  truncate(limit: number): CandidateList {
    if (this.count <= limit) return this;
    const order = Array.from({ length: this.count }, (_, i) => i).sort((i, j) => this.scores[j]! - this.scores[i]!);
    const out = new CandidateList();
    for (let k = 0; k < limit; k++) {
      const i = order[k]!;
      const x1 = this.boxes[4 * i]!;
      const y1 = this.boxes[4 * i + 1]!;
      const x2 = this.boxes[4 * i + 2]!;
      const y2 = this.boxes[4 * i + 3]!;
      out.push((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, this.scores[i]!, this.classIds[i]!);
    }
    return out;
  }
}

/** Reads the raw output into candidates; `at(box, channel)` hides whether the layout is row- or column-major. */
function collectCandidates(output: Float32Array, info: OutputLayoutInfo, options: DecodeOptions): CandidateList {
  const { numBoxes, numClasses, layout } = info;
  const conf = options.confThreshold;
  const list = new CandidateList();
  const hasObjectness = layout === 'yolov5';
  const channels = numClasses + (hasObjectness ? 5 : 4);
  const classStart = hasObjectness ? 5 : 4;
  // Ultralytics stores channel c of box i at c * N + i; YOLOv5 at i * channels + c.
  const boxStride = layout === 'yolov5' ? channels : 1;
  const channelStride = layout === 'yolov5' ? 1 : numBoxes;
  for (let i = 0; i < numBoxes; i++) {
    const base = i * boxStride;
    const obj = hasObjectness ? output[base + 4 * channelStride]! : 1;
    if (hasObjectness && !(obj > conf)) continue;
    const cx = output[base]!;
    const cy = output[base + channelStride]!;
    const w = output[base + 2 * channelStride]!;
    const h = output[base + 3 * channelStride]!;
    if (options.multiLabel) {
      for (let c = 0; c < numClasses; c++) {
        const score = output[base + (classStart + c) * channelStride]! * obj;
        if (score > conf) list.push(cx, cy, w, h, score, c);
      }
    } else {
      let best = -Infinity;
      let bestClass = 0;
      for (let c = 0; c < numClasses; c++) {
        const s = output[base + (classStart + c) * channelStride]!;
        if (s > best) {
          best = s;
          bestClass = c;
        }
      }
      const score = best * obj;
      if (score > conf) list.push(cx, cy, w, h, score, bestClass);
    }
  }
  return list;
}

/** Decodes one image's output (batch 1) into detections sorted by score, boxes in model-input pixels. */
export function decodeDetections(output: Float32Array, dims: readonly number[], options: DecodeOptions): Detection[] {
  const info = detectOutputLayout(dims, options.numClasses);
  const expected = info.numBoxes * (info.numClasses + (info.layout === 'yolov5' ? 5 : 4));
  if (output.length < expected) {
    throw new EdgeoptError(`output has ${output.length} values, but dims [${dims.join(',')}] need ${expected}`);
  }
  const candidates = collectCandidates(output, info, options).truncate(options.maxCandidates ?? DEFAULT_MAX_CANDIDATES);
  const kept = nonMaxSuppression(candidates, {
    iouThreshold: options.iouThreshold,
    maxDetections: options.maxDetections ?? DEFAULT_MAX_DETECTIONS,
    classAgnostic: options.classAgnostic ?? false,
  });
  return kept.map((i) => ({
    box: [candidates.boxes[4 * i]!, candidates.boxes[4 * i + 1]!, candidates.boxes[4 * i + 2]!, candidates.boxes[4 * i + 3]!],
    score: candidates.scores[i]!,
    classId: candidates.classIds[i]!,
  }));
}
