import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/eval/decode.js';
import { MetricsAccumulator, type GroundTruth } from '../../src/eval/map.js';
import { map5095, matchImage, pairedMapDifference } from '../../src/eval/paired.js';
import { seededRandom } from '../../src/util/random.js';

/** Synthetic images: ground truth boxes and detections that hit them with jitter, plus false positives. */
function images(count: number, seed: number, jitter: number) {
  const random = seededRandom(seed);
  const out: Array<{ gt: GroundTruth[]; det: Detection[] }> = [];
  for (let i = 0; i < count; i++) {
    const gt: GroundTruth[] = [];
    const det: Detection[] = [];
    for (let k = 0; k < 4; k++) {
      const x = random() * 500;
      const y = random() * 500;
      const classId = Math.floor(random() * 3);
      gt.push({ box: [x, y, x + 60, y + 60], classId });
      const j = () => (random() - 0.5) * jitter;
      if (random() < 0.85) det.push({ box: [x + j(), y + j(), x + 60 + j(), y + 60 + j()], classId, score: 0.3 + 0.7 * random() });
      det.push({ box: [random() * 500, random() * 500, 600, 600], classId, score: 0.4 * random() });
    }
    out.push({ gt, det });
  }
  return out;
}

describe('paired mAP comparison', () => {
  it('computes the same mAP50-95 as the evaluator', () => {
    const data = images(30, 1, 20);
    const acc = new MetricsAccumulator();
    for (const { gt, det } of data) acc.addImage(gt, det);
    const records = data.map(({ gt, det }) => matchImage(gt, det));
    expect(map5095(records)).toBeCloseTo(acc.result().map50_95, 10);
  });

  it('gives a zero difference for the same model and a positive one, with an interval around it, for a worse model', () => {
    const good = images(40, 2, 8);
    const worse = images(40, 2, 30); // same ground truth and draws, looser boxes
    const ref = good.map(({ gt, det }) => matchImage(gt, det));
    const same = pairedMapDifference(ref, ref, 100);
    expect(same.drop).toBe(0);
    expect(same.ci).toEqual([0, 0]);
    const diff = pairedMapDifference(ref, worse.map(({ gt, det }) => matchImage(gt, det)), 100);
    expect(diff.drop).toBeGreaterThan(1);
    expect(diff.ci[0]).toBeLessThanOrEqual(diff.drop);
    expect(diff.ci[1]).toBeGreaterThanOrEqual(diff.drop);
    expect(diff.ci[0]).toBeGreaterThan(0);
    expect(() => pairedMapDifference(ref, ref.slice(1))).toThrow(/same images/);
  });
});
