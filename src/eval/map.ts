/**
 * COCO-style detection metrics, computed the way pycocotools does for bounding boxes (the numbers people
 * compare against): per image and class, detections (best first, at most 100) greedily take the unmatched
 * ground truth with the highest IoU; per class, precision is made monotone and sampled at 101 recall points;
 * AP is averaged over classes that have ground truth, at IoU 0.50 and over 0.50:0.05:0.95.
 * Precision and recall are reported at the confidence that maximises the class-mean F1 (as the Ultralytics
 * validator reports P and R), from the IoU-0.5 matches. Pure code; images are added one at a time.
 * Crowd ground truth (COCO `iscrowd`) and other ignored regions (VOC `difficult`) follow pycocotools: they are
 * not counted as instances, a detection that matches one is neither a true nor a false positive, they may absorb
 * any number of detections, and a crowd region's IoU is the intersection over the detection's own area.
 */
import type { Box } from '../image/letterbox.js';
import type { Detection } from './decode.js';
import { boxIou } from './nms.js';

export interface GroundTruth {
  box: Box;
  classId: number;
  /** COCO crowd region: ignored, IoU over the detection's area. */
  crowd?: boolean;
  /** Ignored region (VOC difficult): ignored, ordinary IoU. */
  ignore?: boolean;
}

/** 0.50, 0.55, …, 0.95. */
export const IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => (50 + 5 * i) / 100);
const RECALL_POINTS = 101;
/** pycocotools' default maxDets for AP: per image and class. */
export const COCO_MAX_DETECTIONS = 100;
const EPS = 2.220446049250313e-16;

export interface ClassMetrics {
  classId: number;
  name: string;
  /** Ground-truth boxes of this class. */
  instances: number;
  ap50: number;
  ap50_95: number;
  precision: number;
  recall: number;
}

export interface DetectionMetrics {
  images: number;
  instances: number;
  /** Fractions 0..1 (not percent). */
  map50: number;
  map50_95: number;
  precision: number;
  recall: number;
  f1: number;
  /** Confidence at which precision/recall/F1 are reported. */
  confidenceAtBestF1: number;
  /** Classes with ground truth, by class id. */
  perClass: ClassMetrics[];
}

interface ClassRecord {
  instances: number;
  scores: number[];
  /** Bit t set when the detection is a true positive at IOU_THRESHOLDS[t]. */
  matches: number[];
  /** Bit t set when the detection matched an ignored region at IOU_THRESHOLDS[t] (left out of AP there). */
  ignored: number[];
}

/** IoU of a detection `d` and a ground-truth box `g`; for a crowd region, intersection over the detection's area (pycocotools' iscrowd). */
function iou(d: Box, g: Box, crowd = false): number {
  if (!crowd) return boxIou(d, g);
  const iw = Math.min(d[2], g[2]) - Math.max(d[0], g[0]);
  const ih = Math.min(d[3], g[3]) - Math.max(d[1], g[1]);
  const detArea = (d[2] - d[0]) * (d[3] - d[1]);
  return iw > 0 && ih > 0 && detArea > 0 ? (iw * ih) / detArea : 0;
}

const isIgnored = (g: GroundTruth): boolean => g.crowd === true || g.ignore === true;

function groupByClass<T extends { classId: number }>(items: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(item.classId);
    if (group) group.push(item);
    else groups.set(item.classId, [item]);
  }
  return groups;
}

/**
 * Greedy COCO matching of one image's detections of one class. Returns the match bitmask per detection
 * (detections must be sorted best first). Ties in IoU go to the later ground truth, as in pycocotools.
 */
export function matchDetections(detections: readonly Detection[], groundTruth: readonly GroundTruth[]): number[] {
  return matchWithIgnored(detections, groundTruth).matches;
}

/**
 * pycocotools' evaluateImg for one image and class: ground truth is visited regular first, ignored regions last;
 * a detection takes the unmatched regular box of highest IoU, and only when it matches none, an ignored region
 * (which may absorb any number of detections). Returns true-positive and ignored bitmasks per detection.
 */
export function matchWithIgnored(detections: readonly Detection[], groundTruth: readonly GroundTruth[]): { matches: number[]; ignored: number[] } {
  // Stable: regular ground truth first, in input order, then the ignored regions.
  const gts = [...groundTruth.filter((g) => !isIgnored(g)), ...groundTruth.filter(isIgnored)];
  const ignoredGt = gts.map(isIgnored);
  const ious = detections.map((d) => gts.map((g) => iou(d.box, g.box, g.crowd === true)));
  const matches = new Array<number>(detections.length).fill(0);
  const ignored = new Array<number>(detections.length).fill(0);
  IOU_THRESHOLDS.forEach((threshold, t) => {
    const taken = new Array<boolean>(gts.length).fill(false);
    for (let d = 0; d < detections.length; d++) {
      let best = Math.min(threshold, 1 - 1e-10);
      let match = -1;
      for (let g = 0; g < gts.length; g++) {
        if (taken[g] && !ignoredGt[g]) continue;
        // Matched to a regular box already: ignored regions (all after it) cannot take the detection.
        if (match >= 0 && !ignoredGt[match] && ignoredGt[g]) break;
        const value = ious[d]![g]!;
        if (value < best) continue;
        best = value;
        match = g;
      }
      if (match < 0) continue;
      taken[match] = true;
      if (ignoredGt[match]) ignored[d]! |= 1 << t;
      else matches[d]! |= 1 << t;
    }
  });
  return { matches, ignored };
}

/** Collects per-image matches; `result()` turns them into metrics. Memory is per detection, not per image. */
export class MetricsAccumulator {
  private readonly classes = new Map<number, ClassRecord>();
  private images = 0;

  constructor(private readonly maxDetectionsPerClass = COCO_MAX_DETECTIONS) {}

  private record(classId: number): ClassRecord {
    let r = this.classes.get(classId);
    if (!r) {
      r = { instances: 0, scores: [], matches: [], ignored: [] };
      this.classes.set(classId, r);
    }
    return r;
  }

  /** Adds one image: its ground truth and its detections, both in the same pixel space. */
  addImage(groundTruth: readonly GroundTruth[], detections: readonly Detection[]): void {
    this.images++;
    const gtByClass = groupByClass(groundTruth);
    const detByClass = groupByClass(detections);
    for (const [classId, gts] of gtByClass) this.record(classId).instances += gts.filter((g) => !isIgnored(g)).length;
    for (const [classId, dets] of detByClass) {
      // Stable sort keeps equal scores in input order, like pycocotools' mergesort.
      const sorted = [...dets].sort((a, b) => b.score - a.score).slice(0, this.maxDetectionsPerClass);
      const { matches, ignored } = matchWithIgnored(sorted, gtByClass.get(classId) ?? []);
      const r = this.record(classId);
      sorted.forEach((d, i) => {
        r.scores.push(d.score);
        r.matches.push(matches[i]!);
        r.ignored.push(ignored[i]!);
      });
    }
  }

  result(names?: readonly string[]): DetectionMetrics {
    return computeMetrics(this.classes, this.images, names);
  }
}

/** Area under the monotone precision envelope sampled at 101 recall points (pycocotools' accumulate). */
export function averagePrecision(tpCum: Float64Array, fpCum: Float64Array, instances: number): number {
  const n = tpCum.length;
  const precision = new Float64Array(n);
  const recall = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    recall[i] = tpCum[i]! / instances;
    precision[i] = tpCum[i]! / (tpCum[i]! + fpCum[i]! + EPS);
  }
  for (let i = n - 1; i > 0; i--) if (precision[i]! > precision[i - 1]!) precision[i - 1] = precision[i]!;
  let sum = 0;
  let k = 0;
  for (let r = 0; r < RECALL_POINTS; r++) {
    const target = r / (RECALL_POINTS - 1);
    // First index whose recall reaches the target (searchsorted 'left' on a non-decreasing array).
    while (k < n && recall[k]! < target) k++;
    if (k < n) sum += precision[k]!;
  }
  return sum / RECALL_POINTS;
}

/** np.interp for increasing xp, with the given value left of the first point. */
function interpolate(x: number, xp: readonly number[], fp: readonly number[], left: number): number {
  if (xp.length === 0) return left;
  if (x < xp[0]!) return left;
  if (x >= xp[xp.length - 1]!) return fp[fp.length - 1]!;
  let lo = 0;
  let hi = xp.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xp[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const span = xp[hi]! - xp[lo]!;
  return span > 0 ? fp[lo]! + ((x - xp[lo]!) / span) * (fp[hi]! - fp[lo]!) : fp[hi]!;
}

/** Box filter of width ~2·fraction·n with edge padding (the validator smooths the mean F1 curve before argmax). */
function smooth(values: Float64Array, fraction: number): Float64Array {
  const width = Math.floor(Math.round(values.length * fraction * 2) / 2) + 1;
  const half = Math.floor(width / 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    for (let k = i - half; k <= i + half; k++) sum += values[Math.min(Math.max(k, 0), values.length - 1)]!;
    out[i] = sum / width;
  }
  return out;
}

/** Detection indices by decreasing score. */
function scoreOrder(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((i, j) => scores[j]! - scores[i]!);
}

/**
 * One class's AP at every IoU threshold, from its detections' match and ignore bitmasks (bit t = threshold t).
 * The evaluator and the paired bootstrap both score with this, so their mAPs agree by construction.
 */
export function apPerThreshold(
  r: { instances: number; scores: readonly number[]; matches: readonly number[]; ignored: readonly number[] },
  order: readonly number[] = scoreOrder(r.scores),
): number[] {
  return IOU_THRESHOLDS.map((_, t) => {
    // Detections on ignored regions at this threshold are neither true nor false positives.
    const kept = order.filter((i) => !(r.ignored[i]! & (1 << t)));
    const tp = new Float64Array(kept.length);
    const fp = new Float64Array(kept.length);
    let tpSum = 0;
    let fpSum = 0;
    kept.forEach((i, k) => {
      if (r.matches[i]! & (1 << t)) tpSum++;
      else fpSum++;
      tp[k] = tpSum;
      fp[k] = fpSum;
    });
    return averagePrecision(tp, fp, r.instances);
  });
}

const CONFIDENCE_GRID = 1000;

function computeMetrics(classes: Map<number, ClassRecord>, images: number, names?: readonly string[]): DetectionMetrics {
  const perClass: ClassMetrics[] = [];
  // Precision and recall curves over a confidence grid, per class, at IoU 0.5.
  const pCurves: Float64Array[] = [];
  const rCurves: Float64Array[] = [];
  const classIds = [...classes.keys()].filter((c) => classes.get(c)!.instances > 0).sort((a, b) => a - b);
  for (const classId of classIds) {
    const r = classes.get(classId)!;
    const order = scoreOrder(r.scores);
    const aps = apPerThreshold(r, order);
    // Curves at IoU 0.5 against decreasing confidence, sampled on an increasing grid of -confidence.
    const negConf: number[] = [];
    const recall: number[] = [];
    const precision: number[] = [];
    let tpSum = 0;
    order.filter((i) => !(r.ignored[i]! & 1)).forEach((i, k) => {
      if (r.matches[i]! & 1) tpSum++;
      negConf.push(-r.scores[i]!);
      recall.push(tpSum / r.instances);
      precision.push(tpSum / (k + 1));
    });
    const pc = new Float64Array(CONFIDENCE_GRID);
    const rc = new Float64Array(CONFIDENCE_GRID);
    for (let g = 0; g < CONFIDENCE_GRID; g++) {
      const conf = g / (CONFIDENCE_GRID - 1);
      pc[g] = interpolate(-conf, negConf, precision, 1);
      rc[g] = interpolate(-conf, negConf, recall, 0);
    }
    pCurves.push(pc);
    rCurves.push(rc);
    perClass.push({
      classId,
      name: names?.[classId] ?? `class${classId}`,
      instances: r.instances,
      ap50: aps[0]!,
      ap50_95: aps.reduce((a, b) => a + b, 0) / aps.length,
      precision: 0,
      recall: 0,
    });
  }
  const meanF1 = new Float64Array(CONFIDENCE_GRID);
  for (let g = 0; g < CONFIDENCE_GRID; g++) {
    let sum = 0;
    for (let c = 0; c < pCurves.length; c++) {
      const p = pCurves[c]![g]!;
      const rec = rCurves[c]![g]!;
      sum += (2 * p * rec) / (p + rec + 1e-16);
    }
    meanF1[g] = pCurves.length ? sum / pCurves.length : 0;
  }
  const smoothed = smooth(meanF1, 0.1);
  let best = 0;
  for (let g = 1; g < CONFIDENCE_GRID; g++) if (smoothed[g]! > smoothed[best]!) best = g;
  perClass.forEach((c, k) => {
    c.precision = pCurves[k]![best]!;
    c.recall = rCurves[k]![best]!;
  });
  const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  const precision = mean(perClass.map((c) => c.precision));
  const recall = mean(perClass.map((c) => c.recall));
  return {
    images,
    instances: perClass.reduce((a, c) => a + c.instances, 0),
    map50: mean(perClass.map((c) => c.ap50)),
    map50_95: mean(perClass.map((c) => c.ap50_95)),
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall + 1e-16),
    confidenceAtBestF1: best / (CONFIDENCE_GRID - 1),
    perClass,
  };
}
