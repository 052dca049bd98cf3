import { describe, expect, it } from 'vitest';
import type { Box } from '../../src/image/letterbox.js';
import { MetricsAccumulator, matchDetections, matchWithIgnored } from '../../src/eval/map.js';

describe('COCO-style metrics on a hand-computed case', () => {
  // Class 0: two ground-truth boxes, three detections — a perfect hit, a miss, and a hit at IoU 0.9.
  // Class 1: one ground-truth box nobody finds. Class 2: a detection without ground truth (not scored).
  const gt = [
    { classId: 0, box: [0, 0, 10, 10] as Box },
    { classId: 0, box: [20, 0, 30, 10] as Box },
    { classId: 1, box: [100, 100, 120, 120] as Box },
  ];
  const dets = [
    { classId: 0, score: 0.9, box: [0, 0, 10, 10] as Box },
    { classId: 0, score: 0.8, box: [50, 50, 60, 60] as Box },
    { classId: 0, score: 0.7, box: [20, 0, 30, 9] as Box },
    { classId: 2, score: 0.95, box: [0, 0, 5, 5] as Box },
  ];

  it('matches greedily by score at each IoU threshold', () => {
    const masks = matchDetections(dets.slice(0, 3), gt.slice(0, 2));
    expect(masks[0]).toBe(0b1111111111); // IoU 1: true positive at every threshold
    expect(masks[1]).toBe(0);
    expect(masks[2]).toBe(0b0111111111); // IoU 0.9: true positive up to 0.90, not at 0.95
  });

  it('gives the 101-point interpolated AP by hand', () => {
    const acc = new MetricsAccumulator();
    acc.addImage(gt, dets);
    const r = acc.result(['a', 'b', 'c']);
    // Class 0 at IoU ≤ 0.9: precision envelope 1 up to recall 0.5 (51 points), 2/3 from 0.51 to 1 (50 points).
    const ap = (51 + (50 * 2) / 3) / 101;
    // At IoU 0.95 the third detection is a false positive: recall stops at 0.5.
    const ap95 = 51 / 101;
    expect(r.perClass.map((c) => c.name)).toEqual(['a', 'b']);
    expect(r.perClass[0]!.ap50).toBeCloseTo(ap, 12);
    expect(r.perClass[0]!.ap50_95).toBeCloseTo((9 * ap + ap95) / 10, 12);
    expect(r.perClass[1]!.ap50).toBe(0);
    expect(r.map50).toBeCloseTo(ap / 2, 12);
    expect(r.map50_95).toBeCloseTo((9 * ap + ap95) / 20, 12);
    expect(r.instances).toBe(3);
    expect(r.images).toBe(1);
  });

  it('reports precision and recall at the best F1 confidence', () => {
    const acc = new MetricsAccumulator();
    acc.addImage(gt.slice(0, 2), [
      { classId: 0, score: 0.9, box: [0, 0, 10, 10] },
      { classId: 0, score: 0.8, box: [20, 0, 30, 10] },
      { classId: 0, score: 0.3, box: [50, 50, 60, 60] },
    ]);
    const r = acc.result();
    // Between conf 0.3 and 0.8 both boxes are found and the false positive is filtered out; precision is
    // interpolated linearly between the detections' confidences (as the Ultralytics curves), so slightly below 1.
    expect(r.precision).toBeGreaterThan(0.9);
    expect(r.recall).toBeGreaterThan(0.99);
    expect(r.confidenceAtBestF1).toBeGreaterThan(0.3);
    expect(r.confidenceAtBestF1).toBeLessThanOrEqual(0.8);
  });

  it('counts detections on a background image as false positives', () => {
    const acc = new MetricsAccumulator();
    acc.addImage([], [{ classId: 0, score: 0.99, box: [0, 0, 10, 10] }]);
    acc.addImage([{ classId: 0, box: [0, 0, 10, 10] }], [{ classId: 0, score: 0.5, box: [0, 0, 10, 10] }]);
    // Precision 0.5 at the only recall level.
    expect(acc.result().map50).toBeCloseTo(0.5, 12);
  });
});

describe('crowd regions and ignored boxes, as pycocotools treats iscrowd', () => {
  const person = { classId: 0, box: [0, 0, 10, 10] as Box };
  const crowd = { classId: 0, box: [20, 0, 60, 40] as Box, crowd: true };

  it('lets any number of detections inside a crowd region go uncounted instead of being false positives', () => {
    const dets = [
      { classId: 0, score: 0.95, box: [25, 5, 35, 15] as Box }, // inside the crowd: IoU over its own area = 1
      { classId: 0, score: 0.9, box: [0, 0, 10, 10] as Box },
      { classId: 0, score: 0.8, box: [30, 10, 40, 20] as Box }, // inside the crowd too
      { classId: 0, score: 0.7, box: [100, 100, 110, 110] as Box },
    ];
    const withCrowd = new MetricsAccumulator();
    withCrowd.addImage([person, crowd], dets);
    const r = withCrowd.result();
    // One instance (the crowd is not one); the first counted detection is a hit: precision 1 at recall 1.
    expect(r.instances).toBe(1);
    expect(r.map50_95).toBeCloseTo(1, 12);
    // Treated as an ordinary box, the crowd turns the best detection into a false positive and adds an instance.
    const plain = new MetricsAccumulator();
    plain.addImage([person, { ...crowd, crowd: false }], dets);
    expect(plain.result().map50).toBeLessThan(0.75);
  });

  it('prefers a regular box, and falls back to the crowd region only when no regular box matches', () => {
    const gts = [{ classId: 0, box: [0, 0, 10, 10] as Box }, { classId: 0, box: [0, 0, 40, 40] as Box, crowd: true }];
    const det = { classId: 0, score: 0.9, box: [0, 0, 6, 10] as Box }; // IoU with the person box = 60/100
    const { matches, ignored } = matchWithIgnored([det], gts);
    expect(matches[0]).toBe(0b0000000111); // a true positive at 0.50, 0.55, 0.60
    expect(ignored[0]).toBe(0b1111111000); // above 0.60 the crowd region takes it: not a false positive
  });

  it('leaves a class whose only ground truth is crowd out of the mean, as pycocotools does', () => {
    const acc = new MetricsAccumulator();
    acc.addImage([person, { classId: 1, box: [0, 0, 5, 5], crowd: true }], [{ classId: 0, score: 0.9, box: [0, 0, 10, 10] }, { classId: 1, score: 0.9, box: [0, 0, 5, 5] }]);
    expect(acc.result().perClass.map((c) => c.classId)).toEqual([0]);
  });

  it('treats an ignored (VOC difficult) box with the ordinary IoU', () => {
    const difficult = { classId: 0, box: [20, 0, 60, 40] as Box, ignore: true };
    const inside = { classId: 0, score: 0.9, box: [25, 5, 35, 15] as Box }; // IoU 100/1600: no match
    const onIt = { classId: 0, score: 0.8, box: [20, 0, 60, 40] as Box };
    const { matches, ignored } = matchWithIgnored([inside, onIt], [person, difficult]);
    expect([matches[0], ignored[0]]).toEqual([0, 0]); // a false positive
    expect([matches[1], ignored[1]]).toEqual([0, 0b1111111111]);
  });
});
