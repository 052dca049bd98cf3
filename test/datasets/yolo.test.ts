import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../src/datasets/registry.js';
import type { DatasetSample } from '../../src/datasets/types.js';
import { parseYoloLabels, ultralyticsLabelPath } from '../../src/datasets/yolo.js';
import { parseNamesMetadata } from '../../src/eval/names.js';

describe('parseYoloLabels', () => {
  it('reads boxes, polygons (as their bounding box) and skips blank lines', () => {
    const { boxes, rejected } = parseYoloLabels('0 0.5 0.5 0.2 0.4\n\n3 0.1 0.2 0.3 0.2 0.2 0.6\n', 'a.txt');
    expect(rejected).toEqual([]);
    expect(boxes[0]).toEqual({ classId: 0, box: [0.4, 0.3, 0.6, 0.7], where: 'a.txt:1' });
    expect(boxes[1]!.classId).toBe(3);
    expect(boxes[1]!.where).toBe('a.txt:3');
    expect(boxes[1]!.box).toEqual([0.1, 0.2, 0.3, 0.6]);
  });

  it('rejects a bad line with file:line and a reason, and keeps the good lines of the same file', () => {
    const text = ['0 0.5 0.5 0.2 0.4', '1 0.5 0.5 0.2', 'nan 0.5 0.5 0.2 0.4', 'person 0.5 0.5 0.2 0.4', '0 0.5 0.5 0.2 abc', '0 150 120 30 40', '2 0.1 0.1 0.1 0.1'].join('\n');
    const { boxes, rejected } = parseYoloLabels(text, 'x/y.txt');
    expect(boxes.map((b) => b.where)).toEqual(['x/y.txt:1', 'x/y.txt:7']);
    expect(rejected.map((r) => [r.where, r.reason])).toEqual([
      ['x/y.txt:2', 'wrong field count'],
      ['x/y.txt:3', 'not numeric'],
      ['x/y.txt:4', 'not numeric'],
      ['x/y.txt:5', 'not numeric'],
      ['x/y.txt:6', 'outside the image'],
    ]);
    expect(rejected[1]!.detail).toMatch(/class id must be a non-negative integer, got 'nan'/);
  });

  it('finds labels the Ultralytics way (the last images/ folder becomes labels/)', () => {
    expect(ultralyticsLabelPath('/d/images/x/images/val/a.jpg')).toBe('/d/images/x/labels/val/a.txt');
    expect(ultralyticsLabelPath('/d/pics/a.png')).toBe('/d/pics/a.txt');
  });
});

describe('YOLO folders', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-dataset-'));
    await mkdir(join(dir, 'images', 'val'), { recursive: true });
    await mkdir(join(dir, 'labels', 'val'), { recursive: true });
    for (const name of ['b.jpg', 'a.png', 'c.jpg']) await writeFile(join(dir, 'images', 'val', name), 'not decoded here');
    await writeFile(join(dir, 'images', 'val', 'notes.txt'), 'ignored');
    await writeFile(join(dir, 'labels', 'val', 'a.txt'), '1 0.5 0.5 0.1 0.1\n');
    await writeFile(join(dir, 'labels', 'val', 'b.txt'), '');
    await writeFile(join(dir, 'labels', 'val', 'orphan.txt'), '0 0.5 0.5 0.1 0.1\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('iterates over images (sorted), mirrors label paths, and treats a missing label file as background', async () => {
    const dataset = await openDataset(dir);
    expect(dataset.format).toBe('yolo');
    const samples: DatasetSample[] = [];
    for await (const s of dataset.samples()) samples.push(s);
    expect(samples.map((s) => s.imagePath.slice(dir.length))).toEqual(['/images/val/a.png', '/images/val/b.jpg', '/images/val/c.jpg']);
    // Non-numeric stems: ids are 1, 2, 3 in path order.
    expect(samples.map((s) => s.imageId)).toEqual([1, 2, 3]);
    expect(samples[0]!.boxes).toEqual([{ classId: 1, box: [0.45, 0.45, 0.55, 0.55], where: join(dir, 'labels', 'val', 'a.txt:1') }]);
    expect(samples[1]!.labelFile).toBeDefined();
    expect(samples[1]!.background).toBe(false);
    expect(samples[2]!.background).toBe(true);
    let limited = 0;
    for await (const _ of dataset.samples({ maxImages: 2 })) limited++;
    expect(limited).toBe(2);
  });

  it('fails clearly for a missing folder or a folder without images', async () => {
    await expect(openDataset(join(dir, 'nope'))).rejects.toThrow(/dataset not found/);
    await expect(openDataset(join(dir, 'labels'))).rejects.toThrow(/no images/);
  });
});

describe('parseNamesMetadata', () => {
  it('parses the Python dict and list forms the exporters write', () => {
    expect(parseNamesMetadata("{0: 'person', 1: 'traffic light', 2: \"it's\"}")).toEqual(['person', 'traffic light', "it's"]);
    expect(parseNamesMetadata("['duckie', 'cone']")).toEqual(['duckie', 'cone']);
    expect(parseNamesMetadata('')).toBeUndefined();
    expect(parseNamesMetadata('garbage')).toBeUndefined();
  });
});
