/**
 * Greedy non-maximum suppression, as torchvision.ops.nms does it for the YOLO validators and predictors.
 * Pure code without node imports: the browser demo loads it too.
 */

/** IoU of two [x1, y1, x2, y2] boxes (no +1 on widths, as in torchvision and pycocotools). */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Candidate boxes in structure-of-arrays form: box i is boxes[4i..4i+3]. */
export interface NmsCandidates {
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  count: number;
}

export interface NmsOptions {
  /** A box is suppressed when its IoU with a higher-scoring kept box is above this. */
  iouThreshold: number;
  maxDetections: number;
  /** Suppress across classes (otherwise only boxes of the same class suppress each other). */
  classAgnostic?: boolean;
}

function iouAt(boxes: Float32Array, i: number, j: number): number {
  const a = i * 4;
  const b = j * 4;
  const iw = Math.min(boxes[a + 2]!, boxes[b + 2]!) - Math.max(boxes[a]!, boxes[b]!);
  const ih = Math.min(boxes[a + 3]!, boxes[b + 3]!) - Math.max(boxes[a + 1]!, boxes[b + 1]!);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const areaA = (boxes[a + 2]! - boxes[a]!) * (boxes[a + 3]! - boxes[a + 1]!);
  const areaB = (boxes[b + 2]! - boxes[b]!) * (boxes[b + 3]! - boxes[b + 1]!);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Returns the indices of the kept candidates, highest score first. Per-class NMS compares a box only with kept
 * boxes of its class, which gives the same result as the validators' class-offset trick. Greedy NMS keeps boxes
 * in score order, so stopping at maxDetections equals running it fully and truncating.
 */
export function nonMaxSuppression(candidates: NmsCandidates, options: NmsOptions): number[] {
  const { boxes, scores, classIds, count } = candidates;
  const order = Array.from({ length: count }, (_, i) => i);
  // Stable sort: equal scores keep their input order, so results are reproducible.
  order.sort((i, j) => scores[j]! - scores[i]!);
  const keptByClass = new Map<number, number[]>();
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= options.maxDetections) break;
    const group = options.classAgnostic ? -1 : classIds[i]!;
    let others = keptByClass.get(group);
    if (!others) {
      others = [];
      keptByClass.set(group, others);
    }
    let suppressed = false;
    for (const k of others) {
      if (iouAt(boxes, i, k) > options.iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    others.push(i);
    kept.push(i);
  }
  return kept;
}
