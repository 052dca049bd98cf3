import { describe, expect, it } from 'vitest';
import { mapClasses } from '../../src/datasets/classes.js';
import type { DatasetSample } from '../../src/datasets/types.js';
import { checkSample } from '../../src/datasets/validate.js';
import { COCO_NAMES } from '../../src/models/coco-names.js';

const sample = (boxes: DatasetSample['boxes'], extra: Partial<DatasetSample> = {}): DatasetSample => ({
  imagePath: 'a.jpg', imageId: 1, background: false, normalized: true, boxes, rejected: [], ...extra,
});

describe('checkSample', () => {
  const identity = { by: 'index' as const, unmatched: [], notes: [] };

  it('rejects zero-size boxes, boxes outside the image, class ids the model lacks, and duplicates, naming each', () => {
    const s = sample([
      { classId: 0, box: [0.1, 0.1, 0.3, 0.3], where: 'a.txt:1' },
      { classId: 0, box: [0.5, 0.5, 0.5, 0.7], where: 'a.txt:2' },
      { classId: 1, box: [0.8, 0.1, 1.2, 0.2], where: 'a.txt:3' },
      { classId: 999, box: [0.1, 0.1, 0.2, 0.2], where: 'a.txt:4' },
      { classId: 0, box: [0.1, 0.1, 0.3, 0.3], where: 'a.txt:5' },
      { classId: 2, box: [0.9995, 0.5, 1.0005, 0.6], where: 'a.txt:6' },
    ], { rejected: [{ where: 'a.txt:7', reason: 'not numeric', detail: 'x' }] });
    const r = checkSample(s, { width: 200, height: 100 }, identity, { numClasses: 80 });
    expect(r.groundTruth).toEqual([{ classId: 0, box: [20, 10, 60, 30] }, { classId: 2, box: [199.9, 50, 200.1, 60] }].map((g) => ({ ...g, box: g.box.map((v, i) => expect.closeTo(v, 9)) })));
    expect(r.rejected.map((x) => [x.where, x.reason])).toEqual([
      ['a.txt:7', 'not numeric'],
      ['a.txt:2', 'zero size'],
      ['a.txt:3', 'outside the image'],
      ['a.txt:4', 'class id out of range'],
      ['a.txt:5', 'duplicate'],
    ]);
    expect(r.rejected[3]!.detail).toBe('class id 999, but the model has 80 classes (0..79)');
    expect(r.rejected[4]!.detail).toBe('same class and box as a.txt:1');
    expect(r.accepted).toBe(2);
  });

  it('maps classes by name, leaves out classes the model lacks, keeps crowd and difficult flags, and notices a size mismatch', () => {
    const classes = mapClasses({ names: ['cat', 'unicorn', 'aeroplane'], classMatch: 'name', source: 'x' }, { names: COCO_NAMES });
    const s = sample([
      { classId: 0, box: [0, 0, 10, 10], where: 'j: annotation 1', crowd: true },
      { classId: 1, box: [0, 0, 10, 10], where: 'j: annotation 2' },
      { classId: 2, box: [5, 5, 10, 10], where: 'j: annotation 3', difficult: true },
    ], { normalized: false, declaredSize: { width: 640, height: 480 } });
    const r = checkSample(s, { width: 480, height: 640 }, classes, { numClasses: 80 }, ['cat', 'unicorn', 'aeroplane']);
    expect(r.groundTruth).toEqual([{ classId: 15, box: [0, 0, 10, 10], crowd: true }, { classId: 4, box: [5, 5, 10, 10], ignore: true }]);
    expect(r.excluded).toEqual({ unicorn: 1 });
    expect(r.sizeMismatch).toMatch(/the annotations say 640x480, the image is 480x640/);
  });
});

describe('mapClasses', () => {
  it('maps COCO categories and VOC names to a COCO model by name (aeroplane, diningtable, tvmonitor …)', () => {
    const voc = ['aeroplane', 'bicycle', 'diningtable', 'motorbike', 'pottedplant', 'sofa', 'tvmonitor', 'person'];
    const m = mapClasses({ names: voc, classMatch: 'name', source: 'voc' }, { names: COCO_NAMES });
    expect(m.toModel).toEqual([4, 1, 60, 3, 58, 57, 62, 0]);
    expect(m.unmatched).toEqual([]);
    expect(m.notes.join('\n')).toMatch(/aeroplane → airplane/);
  });

  it('says which dataset classes the model lacks, and fails when none match', () => {
    const m = mapClasses({ names: ['person', 'duckie'], classMatch: 'name', source: 'd' }, { names: COCO_NAMES });
    expect(m.unmatched).toEqual(['duckie']);
    expect(m.notes[0]).toMatch(/1 of 2 dataset classes are not among the model's classes and are left out: duckie/);
    expect(() => mapClasses({ names: ['duckie', 'cone'], classMatch: 'name', source: 'd' }, { names: COCO_NAMES })).toThrow(/none of the 2 dataset classes \(duckie, cone\) is among the model's 80 classes/);
    expect(() => mapClasses({ names: ['a'], classMatch: 'name', source: 'd' }, {})).toThrow(/--classes/);
  });

  it('keeps YOLO labels as class ids, reporting names that differ, or mapping by name when only the order differs', () => {
    expect(mapClasses({ names: [...COCO_NAMES], classMatch: 'index', source: 'y' }, { names: COCO_NAMES, numClasses: 80 })).toEqual({ by: 'index', unmatched: [], notes: [] });
    const renamed = [...COCO_NAMES];
    renamed[3] = 'motorbike';
    const m = mapClasses({ names: renamed, classMatch: 'index', source: 'y' }, { names: COCO_NAMES, numClasses: 80 });
    expect(m.by).toBe('index');
    expect(m.notes[0]).toMatch(/3 is 'motorbike' in the dataset, 'motorcycle' in the model/);
    const swapped = ['car', 'person'];
    const s = mapClasses({ names: swapped, classMatch: 'index', source: 'y' }, { names: ['person', 'car'], numClasses: 2 });
    expect(s.toModel).toEqual([1, 0]);
    expect(s.notes[0]).toMatch(/another order: labels are mapped by name/);
    expect(mapClasses({ names: ['a', 'b', 'c'], classMatch: 'index', source: 'y' }, { numClasses: 2 }).notes[0]).toMatch(/the dataset has 3 classes but the model 2/);
  });
});
