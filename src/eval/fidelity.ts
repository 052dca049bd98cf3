/**
 * Output fidelity of a variant against its FP32 reference on the same real inputs, model-agnostic: per output
 * cosine similarity, SQNR (dB) and max/mean absolute difference over all images; and, when a decoder fits,
 * detection agreement — F1 at IoU 0.5 of the variant's detections against the reference's, same class.
 * Pure: accumulators over plain arrays.
 */
import type { Detection } from './decoders/index.js';
import { boxIou } from './nms.js';

export interface OutputComparison {
  name: string;
  /** Values compared over all images (0 when the shapes never matched). */
  values: number;
  cosine: number;
  /** 10·log10(Σ ref² / Σ (ref − x)²); null when the outputs are identical (infinite SQNR), −999 when the reference is all zeros and the variant is not. */
  sqnrDb: number | null;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Why some images were not compared (e.g. NMS inside the graph returned different row counts). */
  note?: string;
}

export interface DetectionAgreement {
  /** F1 of the variant's detections against the reference's (same class, IoU ≥ 0.5, one-to-one). */
  f1: number;
  precision: number;
  recall: number;
  referenceDetections: number;
  variantDetections: number;
  matched: number;
  /** Score threshold both sides were decoded at. */
  conf: number;
}

export interface FidelityResult {
  reference: string;
  images: number;
  outputs: OutputComparison[];
  /** The worst output's figures (lowest cosine and SQNR, largest max abs diff): one row of a table. */
  worst: { cosine: number; sqnrDb: number | null; maxAbsDiff: number };
  detections?: DetectionAgreement;
  /** Why detections were decoded but not compared (the contract does not fit the reference's output). */
  detectionsNote?: string;
}

const ZERO_REFERENCE_SQNR = -999;

/** The IoU a variant's detection must reach with a reference detection of its class to agree with it. */
export const AGREEMENT_MATCH_IOU = 0.5;

/** Reference detections (best first) matched one-to-one to unmatched detections of the same class at IoU ≥ `minIou`. */
export function countAgreement(reference: readonly Detection[], candidate: readonly Detection[], minIou = AGREEMENT_MATCH_IOU): number {
  const taken = new Array<boolean>(candidate.length).fill(false);
  let matched = 0;
  for (const ref of [...reference].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = minIou;
    candidate.forEach((c, k) => {
      if (taken[k] || c.classId !== ref.classId) return;
      const iou = boxIou(ref.box, c.box);
      if (iou >= bestIou) {
        bestIou = iou;
        best = k;
      }
    });
    if (best >= 0) {
      taken[best] = true;
      matched++;
    }
  }
  return matched;
}

/** The IoU thresholds of COCO's mAP50-95, which detection agreement is averaged over when box precision matters. */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, k) => Math.round(50 + 5 * k) / 100);

export interface IouSweepAgreement {
  /** F1 of the variant's detections against the reference's, averaged over IoU 0.5:0.95 (same class, one-to-one). */
  f1: number;
  /** F1 at each threshold of {@link COCO_IOU_THRESHOLDS}. */
  perIou: number[];
  referenceDetections: number;
  variantDetections: number;
  images: number;
}

/**
 * Detection agreement over IoU 0.5:0.95: mAP50-95 rewards box precision, so a variant whose boxes drift by a few
 * pixels keeps its F1 at IoU 0.5 but loses it at 0.9 — the sweep hears that, F1 at 0.5 alone does not. Counts are
 * pooled over images per threshold (an image with many objects weighs more, as in mAP). Pure.
 */
export class IouSweepAccumulator {
  private readonly matched = new Array<number>(COCO_IOU_THRESHOLDS.length).fill(0);
  private referenceDetections = 0;
  private variantDetections = 0;
  private images = 0;

  add(reference: readonly Detection[], variant: readonly Detection[]): void {
    this.images++;
    this.referenceDetections += reference.length;
    this.variantDetections += variant.length;
    COCO_IOU_THRESHOLDS.forEach((t, k) => (this.matched[k]! += countAgreement(reference, variant, t)));
  }

  result(): IouSweepAgreement {
    const total = this.referenceDetections + this.variantDetections;
    // Nothing on either side agrees perfectly; something on one side only not at all.
    const perIou = this.matched.map((m) => (total === 0 ? 1 : (2 * m) / total));
    return {
      f1: perIou.reduce((a, b) => a + b, 0) / perIou.length,
      perIou,
      referenceDetections: this.referenceDetections,
      variantDetections: this.variantDetections,
      images: this.images,
    };
  }
}

interface Sums {
  dot: number;
  ref2: number;
  var2: number;
  noise: number;
  maxAbs: number;
  sumAbs: number;
  values: number;
  skipped: number;
  skippedWhy?: string;
}

/** Numeric view of any output data (int64 as numbers). */
function asNumbers(data: ArrayLike<number> | BigInt64Array): ArrayLike<number> {
  return data instanceof BigInt64Array ? Float64Array.from(data, (v) => Number(v)) : data;
}

export class FidelityAccumulator {
  private readonly sums = new Map<string, Sums>();
  private readonly order: string[] = [];
  private images = 0;
  private refDetections = 0;
  private varDetections = 0;
  private matched = 0;
  private decoded = false;

  constructor(
    private readonly reference: string,
    private readonly conf: number,
  ) {}

  private sumsFor(name: string): Sums {
    let s = this.sums.get(name);
    if (!s) {
      s = { dot: 0, ref2: 0, var2: 0, noise: 0, maxAbs: 0, sumAbs: 0, values: 0, skipped: 0 };
      this.sums.set(name, s);
      this.order.push(name);
    }
    return s;
  }

  /** One image: the variant's and the reference's outputs (matched by name), and their detections when decoded. */
  add(
    variant: ReadonlyArray<{ name: string; dims: readonly number[]; data: ArrayLike<number> | BigInt64Array }>,
    reference: ReadonlyArray<{ name: string; dims: readonly number[]; data: ArrayLike<number> | BigInt64Array }>,
    detections?: { variant: readonly Detection[]; reference: readonly Detection[] },
  ): void {
    this.images++;
    for (const ref of reference) {
      const s = this.sumsFor(ref.name);
      const v = variant.find((o) => o.name === ref.name);
      if (!v || v.dims.join(',') !== ref.dims.join(',')) {
        s.skipped++;
        s.skippedWhy ??= v ? `shapes differ ([${v.dims.join(',')}] vs FP32 [${ref.dims.join(',')}])` : 'output missing in the variant';
        continue;
      }
      const a = asNumbers(v.data);
      const b = asNumbers(ref.data);
      for (let i = 0; i < b.length; i++) {
        const x = a[i]!;
        const y = b[i]!;
        s.dot += x * y;
        s.ref2 += y * y;
        s.var2 += x * x;
        const d = x - y;
        s.noise += d * d;
        const ad = Math.abs(d);
        s.sumAbs += ad;
        if (ad > s.maxAbs || Number.isNaN(ad)) s.maxAbs = ad;
      }
      s.values += b.length;
    }
    if (detections) {
      this.decoded = true;
      this.refDetections += detections.reference.length;
      this.varDetections += detections.variant.length;
      this.matched += countAgreement(detections.reference, detections.variant);
    }
  }

  result(): FidelityResult {
    const outputs: OutputComparison[] = this.order.map((name) => {
      const s = this.sums.get(name)!;
      // Identical zero outputs count as a perfect match, not as 0/0.
      const cosine = s.ref2 > 0 && s.var2 > 0 ? s.dot / Math.sqrt(s.ref2 * s.var2) : s.noise === 0 ? 1 : 0;
      const sqnrDb = s.noise === 0 ? null : s.ref2 === 0 ? ZERO_REFERENCE_SQNR : 10 * Math.log10(s.ref2 / s.noise);
      return {
        name,
        values: s.values,
        cosine,
        sqnrDb,
        maxAbsDiff: s.maxAbs,
        meanAbsDiff: s.values ? s.sumAbs / s.values : 0,
        ...(s.skipped ? { note: `${s.skipped} of ${this.images} image(s) not compared: ${s.skippedWhy}` } : {}),
      };
    });
    const compared = outputs.filter((o) => o.values > 0);
    const sqnrs = compared.map((o) => o.sqnrDb).filter((x): x is number => x !== null);
    const worst = {
      cosine: compared.length ? Math.min(...compared.map((o) => o.cosine)) : Number.NaN,
      sqnrDb: sqnrs.length ? Math.min(...sqnrs) : null,
      maxAbsDiff: compared.length ? Math.max(...compared.map((o) => o.maxAbsDiff)) : Number.NaN,
    };
    let detections: DetectionAgreement | undefined;
    if (this.decoded) {
      const precision = this.varDetections ? this.matched / this.varDetections : this.refDetections ? 0 : 1;
      const recall = this.refDetections ? this.matched / this.refDetections : this.varDetections ? 0 : 1;
      const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
      detections = { f1, precision, recall, referenceDetections: this.refDetections, variantDetections: this.varDetections, matched: this.matched, conf: this.conf };
    }
    return { reference: this.reference, images: this.images, outputs, worst, ...(detections ? { detections } : {}) };
  }
}
