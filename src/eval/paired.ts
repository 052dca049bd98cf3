/**
 * A paired accuracy comparison of two models on the same images: mAP50-95 of each, their difference, and a 95%
 * bootstrap interval of that difference. Resampling *images* (the same resample for both models) is what makes it
 * paired: an image that is hard for FP32 is hard for INT8 too, so the interval of the difference is much narrower
 * than the two mAPs' own intervals — the ±0.5 noise of a 128-image mAP mostly cancels. Pure code.
 */
import type { Detection } from './decode.js';
import { COCO_MAX_DETECTIONS, IOU_THRESHOLDS, apPerThreshold, matchWithIgnored, type GroundTruth } from './map.js';
import { seededRandom } from '../util/random.js';

/** One image's per-class match record (what mAP needs, computed once). */
export type ImageMatches = Map<number, { instances: number; scores: number[]; matches: number[]; ignored: number[] }>;

export function matchImage(groundTruth: readonly GroundTruth[], detections: readonly Detection[], maxPerClass = COCO_MAX_DETECTIONS): ImageMatches {
  const record: ImageMatches = new Map();
  const get = (c: number) => {
    let r = record.get(c);
    if (!r) record.set(c, (r = { instances: 0, scores: [], matches: [], ignored: [] }));
    return r;
  };
  for (const g of groundTruth) if (!g.crowd && !g.ignore) get(g.classId).instances++;
  const classes = new Set(detections.map((d) => d.classId));
  for (const c of classes) {
    const sorted = detections.filter((d) => d.classId === c).sort((a, b) => b.score - a.score).slice(0, maxPerClass);
    const { matches, ignored } = matchWithIgnored(sorted, groundTruth.filter((g) => g.classId === c));
    const r = get(c);
    sorted.forEach((d, i) => {
      r.scores.push(d.score);
      r.matches.push(matches[i]!);
      r.ignored.push(ignored[i]!);
    });
  }
  return record;
}

/** mAP50-95 (0..1) of a multiset of images: `counts[i]` copies of image i (default once each). */
export function map5095(images: readonly ImageMatches[], counts?: ArrayLike<number>): number {
  const classes = new Map<number, { instances: number; scores: number[]; matches: number[]; ignored: number[] }>();
  images.forEach((image, i) => {
    const k = counts ? counts[i]! : 1;
    if (k === 0) return;
    for (const [c, r] of image) {
      let all = classes.get(c);
      if (!all) classes.set(c, (all = { instances: 0, scores: [], matches: [], ignored: [] }));
      all.instances += k * r.instances;
      for (let copy = 0; copy < k; copy++) {
        for (let d = 0; d < r.scores.length; d++) {
          all.scores.push(r.scores[d]!);
          all.matches.push(r.matches[d]!);
          all.ignored.push(r.ignored[d]!);
        }
      }
    }
  });
  let sum = 0;
  let n = 0;
  for (const r of classes.values()) {
    if (r.instances === 0) continue;
    sum += apPerThreshold(r).reduce((a, b) => a + b, 0) / IOU_THRESHOLDS.length;
    n++;
  }
  return n ? sum / n : 0;
}

export interface PairedMapDifference {
  images: number;
  /** mAP50-95 in points (0..100). */
  referenceMap: number;
  candidateMap: number;
  /** reference − candidate, points (positive: the candidate is worse). */
  drop: number;
  /** 95% percentile-bootstrap interval of the drop, points. */
  ci: [number, number];
  resamples: number;
}

/** The paired difference of two models' per-image records (same images, same order). */
export function pairedMapDifference(reference: readonly ImageMatches[], candidate: readonly ImageMatches[], resamples = 200, seed = 11): PairedMapDifference {
  if (reference.length !== candidate.length) throw new Error(`paired comparison needs the same images (${reference.length} vs ${candidate.length})`);
  const n = reference.length;
  const referenceMap = map5095(reference) * 100;
  const candidateMap = map5095(candidate) * 100;
  const random = seededRandom(seed);
  const drops: number[] = [];
  const counts = new Uint32Array(n);
  for (let b = 0; b < resamples && n > 0; b++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]!++;
    drops.push((map5095(reference, counts) - map5095(candidate, counts)) * 100);
  }
  drops.sort((a, b) => a - b);
  const at = (q: number) => (drops.length ? drops[Math.min(drops.length - 1, Math.max(0, Math.round(q * (drops.length - 1))))]! : Number.NaN);
  return { images: n, referenceMap, candidateMap, drop: referenceMap - candidateMap, ci: [at(0.025), at(0.975)], resamples: drops.length };
}
