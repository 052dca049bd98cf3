/**
 * "Never a silent wrong number": before accuracy is reported, the FP32 model's decoded output on the first
 * labelled images must make sense under the contract. A wrong colour order, scale, resize or decoder does not
 * crash — it yields mAP 0.00 that looks like a measurement. These checks catch it: NaN outputs, mAP50 below a
 * few points, no detections where the images hold objects, boxes mostly outside the image or degenerate,
 * scores all near 1. Pure: an accumulator over decoded images and a verdict.
 */
import type { Detection } from './decoders/index.js';
import { MetricsAccumulator, type GroundTruth } from './map.js';

/** Labelled images the check looks at (the first ones of the dataset). */
export const SANITY_IMAGES = 16;
/** mAP50 below this on those images means the contract does not fit (COCO detectors score 20–60 here). */
export const SANITY_MIN_MAP50 = 0.05;
const DISPLAY_CONF = 0.25;
const MIN_OBJECTS = 5;

export interface SanityEvidence {
  images: number;
  labelled: boolean;
  instances: number;
  map50?: number;
  /** Detections at the display threshold (0.25), and how many of them are implausible. */
  detections: number;
  outside: number;
  degenerate: number;
  /** Candidates above the mAP threshold whose score is above 0.99. */
  candidates: number;
  saturated: number;
  nonFinite: number;
}

export interface SanityVerdict {
  fits: boolean;
  /** The first failed check, in one clause ("mAP50 0.3 on the first 16 labelled images"). */
  reason?: string;
  evidence: SanityEvidence;
}

/** Share of a box's area inside [0,w]×[0,h]. */
function insideShare(b: readonly number[], w: number, h: number): number {
  const area = Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
  if (area === 0) return 0;
  const iw = Math.max(0, Math.min(b[2]!, w) - Math.max(b[0]!, 0));
  const ih = Math.max(0, Math.min(b[3]!, h) - Math.max(b[1]!, 0));
  return (iw * ih) / area;
}

export class SanityAccumulator {
  private readonly metrics = new MetricsAccumulator();
  private e: SanityEvidence = { images: 0, labelled: false, instances: 0, detections: 0, outside: 0, degenerate: 0, candidates: 0, saturated: 0, nonFinite: 0 };

  /**
   * One image. `detections` are the decoded ones before clipping, in a space of `extent` (input or source
   * pixels); `mapped` the same detections in source pixels for mAP against `groundTruth` (undefined: unlabelled).
   */
  add(input: {
    outputs: ReadonlyArray<{ data: ArrayLike<number> | BigInt64Array }>;
    detections: readonly Detection[];
    extent: { width: number; height: number };
    mapped: readonly Detection[];
    groundTruth?: readonly GroundTruth[];
  }): void {
    const e = this.e;
    e.images++;
    for (const o of input.outputs) {
      if (o.data instanceof BigInt64Array) continue;
      const d = o.data;
      for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) e.nonFinite++;
    }
    for (const d of input.detections) {
      e.candidates++;
      if (d.score > 0.99) e.saturated++;
      if (d.score < DISPLAY_CONF) continue;
      e.detections++;
      if (insideShare(d.box, input.extent.width, input.extent.height) < 0.5) e.outside++;
      if (d.box[2] - d.box[0] < 2 || d.box[3] - d.box[1] < 2) e.degenerate++;
    }
    if (input.groundTruth) {
      e.labelled = true;
      e.instances += input.groundTruth.length;
      this.metrics.addImage(input.groundTruth, input.mapped);
    }
  }

  verdict(): SanityVerdict {
    const e = { ...this.e };
    if (e.labelled) e.map50 = this.metrics.result(undefined).map50;
    const where = `on the first ${e.images} ${e.labelled ? 'labelled ' : ''}image(s)`;
    const pct = (x: number) => (100 * x).toFixed(1);
    let reason: string | undefined;
    if (e.nonFinite > 0) reason = `the outputs hold ${e.nonFinite} NaN or infinite value(s) ${where}`;
    else if (e.labelled && e.instances >= MIN_OBJECTS && e.detections === 0) reason = `no detection scores 0.25 or more ${where}, which hold ${e.instances} objects`;
    else if (e.detections >= MIN_OBJECTS && e.outside / e.detections > 0.5) reason = `${pct(e.outside / e.detections)}% of the boxes lie mostly outside the image ${where}`;
    else if (e.detections >= MIN_OBJECTS && e.degenerate / e.detections > 0.5) reason = `${pct(e.degenerate / e.detections)}% of the boxes are under 2 pixels ${where}`;
    else if (e.candidates >= 50 && e.saturated / e.candidates > 0.9) reason = `${pct(e.saturated / e.candidates)}% of the scores are above 0.99 ${where} (logits read as probabilities?)`;
    else if (e.labelled && e.instances >= MIN_OBJECTS && e.map50 !== undefined && e.map50 < SANITY_MIN_MAP50) reason = `mAP50 is ${pct(e.map50)} ${where}, which hold ${e.instances} objects`;
    return { fits: reason === undefined, ...(reason ? { reason } : {}), evidence: e };
  }
}
