import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterateDataset, labelToBox, openYoloDataset, parseYoloLabels } from '../../src/eval/dataset.js';
import { parseNamesMetadata } from '../../src/eval/names.js';

describe('parseYoloLabels', () => {
  it('reads boxes, polygons (as their bounding box) and skips blank lines', () => {
    const labels = parseYoloLabels('0 0.5 0.5 0.2 0.4\n\n3 0.1 0.2 0.3 0.2 0.2 0.6\n', 'a.txt');
    expect(labels[0]).toEqual({ classId: 0, cx: 0.5, cy: 0.5, w: 0.2, h: 0.4 });
    expect(labels[1]!.classId).toBe(3);
    expect(labels[1]!.cx).toBeCloseTo(0.2, 12);
    expect(labels[1]!.h).toBeCloseTo(0.4, 12);
    expect(labelToBox(labels[0]!, 100, 50)).toEqual([40, 15, 60, 35]);
  });

  it('names file and line of a malformed label', () => {
    expect(() => parseYoloLabels('0 0.5 0.5 0.2 0.4\n1 0.5 0.5 0.2\n', 'x/y.txt')).toThrow(/^x\/y\.txt:2: expected 'class cx cy w h'/);
    expect(() => parseYoloLabels('person 0.5 0.5 0.2 0.4', 'y.txt')).toThrow(/y\.txt:1: class id/);
    expect(() => parseYoloLabels('0 0.5 0.5 0.2 abc', 'y.txt')).toThrow(/y\.txt:1: coordinates .*'abc'/);
    expect(() => parseYoloLabels('0 150 120 30 40', 'y.txt')).toThrow(/normalised/);
  });
});

describe('openYoloDataset / iterateDataset', () => {
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
    const dataset = await openYoloDataset(dir);
    const samples = [];
    for await (const s of iterateDataset(dataset)) samples.push(s);
    expect(samples.map((s) => s.imagePath.slice(dir.length))).toEqual(['/images/val/a.png', '/images/val/b.jpg', '/images/val/c.jpg']);
    expect(samples[0]!.labels).toEqual([{ classId: 1, cx: 0.5, cy: 0.5, w: 0.1, h: 0.1 }]);
    expect(samples[1]!.labelPath).toBeDefined();
    expect(samples[1]!.labels).toEqual([]);
    expect(samples[2]!.labelPath).toBeUndefined();
    let limited = 0;
    for await (const _ of iterateDataset(dataset, { maxImages: 2 })) limited++;
    expect(limited).toBe(2);
  });

  it('fails clearly for a missing folder or a folder without images', async () => {
    await expect(openYoloDataset(join(dir, 'nope'))).rejects.toThrow(/dataset folder not found/);
    await expect(openYoloDataset(join(dir, 'labels'))).rejects.toThrow(/no images/);
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
