import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDataset, openDataset } from '../../src/datasets/registry.js';
import type { Dataset, DatasetSample } from '../../src/datasets/types.js';
import { parseVocXml } from '../../src/datasets/voc.js';

async function all(dataset: Dataset): Promise<DatasetSample[]> {
  const out: DatasetSample[] = [];
  for await (const s of dataset.samples()) out.push(s);
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgeopt-formats-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function files(base: string, entries: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(entries)) {
    await mkdir(join(base, path, '..'), { recursive: true });
    await writeFile(join(base, path), text);
  }
  return base;
}

describe('Ultralytics data.yaml', () => {
  it('reads path, a folder split, names as a map, and finds labels the Ultralytics way', async () => {
    const root = await files(join(dir, 'y1'), {
      'ds/images/val/000000000139.jpg': 'x',
      'ds/images/val/000000000285.jpg': 'x',
      'ds/images/train/1.jpg': 'x',
      'ds/labels/val/000000000139.txt': '0 0.5 0.5 0.2 0.2\n',
      'cfg/data.yaml': 'path: ../ds\ntrain: images/train\nval: images/val\nnames:\n  0: person\n  1: bicycle\n',
    });
    const dataset = await openDataset(join(root, 'cfg', 'data.yaml'));
    expect(dataset.format).toBe('ultralytics-yaml');
    expect(dataset.names).toEqual(['person', 'bicycle']);
    expect(describeDataset(dataset)).toMatch(/^Ultralytics data\.yaml: 'val' split: 2 images/);
    const samples = await all(dataset);
    // Numeric file stems become the image ids (COCO's own numbering).
    expect(samples.map((s) => s.imageId)).toEqual([139, 285]);
    expect(samples[0]!.boxes).toHaveLength(1);
    expect(samples[1]!.background).toBe(true);
    const train = await openDataset(join(root, 'cfg', 'data.yaml'), { split: 'train' });
    expect(train.imagePaths.map((p) => p.slice(root.length))).toEqual(['/ds/images/train/1.jpg']);
  });

  it('reads a .txt image list (paths relative to the list), a list of entries, and names as a list', async () => {
    const root = await files(join(dir, 'y2'), {
      'images/a/1.jpg': 'x',
      'images/b/2.jpg': 'x',
      'images/c/3.jpg': 'x',
      'val.txt': './images/a/1.jpg\n./images/b/2.jpg\n',
      'data.yaml': 'val: [val.txt, images/c]\nnames: [cat, dog]\nnc: 2\n',
    });
    const dataset = await openDataset(join(root, 'data.yaml'));
    expect(dataset.imagePaths.map((p) => p.slice(root.length))).toEqual(['/images/a/1.jpg', '/images/b/2.jpg', '/images/c/3.jpg']);
    expect(dataset.names).toEqual(['cat', 'dog']);
  });

  it('says what is wrong with a bad data.yaml in one line', async () => {
    const root = await files(join(dir, 'y3'), {
      'nosplit.yaml': 'train: images\nnames: [a]\n',
      'broken.yaml': 'val: [unclosed\n',
      'gap.yaml': 'val: .\nnames: {0: a, 2: c}\n',
      'nc.yaml': 'val: .\nnames: [a, b]\nnc: 3\n',
      'missing.yaml': 'val: nowhere\n',
      'x.jpg': 'x',
    });
    await expect(openDataset(join(root, 'nosplit.yaml'))).rejects.toThrow(/has no 'val' entry \(it has train\)/);
    await expect(openDataset(join(root, 'broken.yaml'))).rejects.toThrow(/is not valid YAML/);
    await expect(openDataset(join(root, 'gap.yaml'))).rejects.toThrow(/class 1 has no name/);
    await expect(openDataset(join(root, 'nc.yaml'))).rejects.toThrow(/nc is 3 but names lists 2/);
    await expect(openDataset(join(root, 'missing.yaml'))).rejects.toThrow(/'nowhere' not found/);
  });
});

describe('COCO JSON', () => {
  const coco = {
    images: [
      { id: 7, file_name: '7.jpg', width: 100, height: 50 },
      { id: 3, file_name: '3.jpg', width: 100, height: 50 },
    ],
    categories: [{ id: 18, name: 'dog' }, { id: 1, name: 'person' }],
    annotations: [
      { id: 1, image_id: 7, category_id: 1, bbox: [10, 5, 20, 10], iscrowd: 0 },
      { id: 2, image_id: 7, category_id: 18, bbox: [0, 0, 100, 50], iscrowd: 1 },
      { id: 3, image_id: 3, category_id: 99, bbox: [1, 1, 2, 2] },
      { id: 4, image_id: 3, category_id: 1, bbox: [1, 'a', 2, 2] },
      { id: 5, image_id: 42, category_id: 1, bbox: [1, 1, 2, 2] },
    ],
  };

  it('maps categories to classes, keeps crowd regions, rejects bad annotations by id, and finds the images', async () => {
    const root = await files(join(dir, 'c1'), { 'annotations/instances_val.json': JSON.stringify(coco), 'images/7.jpg': 'x', 'images/3.jpg': 'x' });
    const dataset = await openDataset(join(root, 'annotations', 'instances_val.json'));
    expect(dataset.format).toBe('coco-json');
    expect(dataset.names).toEqual(['dog', 'person']);
    expect(dataset.categoryIds).toEqual([18, 1]);
    expect(dataset.description).toMatch(/2 images in .*images, 5 annotations \(1 crowd\), 2 categories/);
    expect(dataset.orphans.map((o) => [o.where, o.reason])).toEqual([['instances_val.json: annotation 5', 'unknown image']]);
    const samples = await all(dataset);
    // Images in id order, as pycocotools evaluates them.
    expect(samples.map((s) => s.imageId)).toEqual([3, 7]);
    expect(samples[0]!.rejected.map((r) => r.reason)).toEqual(['unknown category', 'not numeric']);
    expect(samples[1]!.boxes).toEqual([
      { classId: 1, box: [10, 5, 30, 15], where: 'instances_val.json: annotation 1' },
      { classId: 0, box: [0, 0, 100, 50], where: 'instances_val.json: annotation 2', crowd: true },
    ]);
    expect(samples[1]!.declaredSize).toEqual({ width: 100, height: 50 });
  });

  it('takes --images when the file names point elsewhere, and says so when it cannot find them', async () => {
    const root = await files(join(dir, 'c2'), { 'gt.json': JSON.stringify(coco), 'pics/7.jpg': 'x' });
    await expect(openDataset(join(root, 'gt.json'))).rejects.toThrow(/are not in .*; pass --images <dir>/);
    const dataset = await openDataset(join(root, 'gt.json'), { images: join(root, 'pics') });
    const samples = await all(dataset);
    expect(samples[0]!.problem).toMatchObject({ reason: 'missing' });
    expect(samples[1]!.problem).toBeUndefined();
    await expect(openDataset(join(root, 'gt.json'), { images: join(root, 'nope') })).rejects.toThrow(/--images folder not found/);
  });

  it('refuses a JSON file that is not COCO annotations', async () => {
    const root = await files(join(dir, 'c3'), { 'r.json': '[{"image_id": 1}]', 'bad.json': '{"images": [' });
    await expect(openDataset(join(root, 'r.json'))).rejects.toThrow(/is not a COCO annotation file/);
    await expect(openDataset(join(root, 'bad.json'))).rejects.toThrow(/is not valid JSON/);
  });
});

describe('Pascal VOC', () => {
  const xml = (file: string, objects: string) =>
    `<annotation><filename>${file}</filename><size><width>100</width><height>80</height><depth>3</depth></size>${objects}</annotation>`;
  const obj = (name: string, box: number[], difficult = 0) =>
    `<object><name>${name}</name><difficult>${difficult}</difficult><bndbox><xmin>${box[0]}</xmin><ymin>${box[1]}</ymin><xmax>${box[2]}</xmax><ymax>${box[3]}</ymax></bndbox></object>`;

  it('reads objects (1-based pixel boxes), difficult flags, the split file, and names broken XML by line', async () => {
    const root = await files(join(dir, 'v1'), {
      'Annotations/2008_000001.xml': xml('2008_000001.jpg', obj('dog', [1, 1, 50, 40]) + obj('person', [10, 10, 20, 20], 1)),
      'Annotations/2008_000002.xml': xml('2008_000002.jpg', '<object><name>cat</name><bndbox><xmin>a</xmin></bndbox></object>'),
      'Annotations/2008_000003.xml': '<annotation>\n<filename>x.jpg</filename>\n<size></annotation>',
      'Annotations/2008_000004.xml': xml('2008_000004.jpg', ''),
      'ImageSets/Main/val.txt': '2008_000001\n2008_000002\n2008_000003\n',
      'JPEGImages/2008_000001.jpg': 'x',
      'JPEGImages/2008_000002.jpg': 'x',
    });
    const dataset = await openDataset(root);
    expect(dataset.format).toBe('voc');
    expect(dataset.description).toMatch(/3 images \(split val from .*val\.txt\)/);
    expect(dataset.names).toEqual(['cat', 'dog', 'person']);
    const samples = await all(dataset);
    expect(samples[0]!.boxes).toEqual([
      { classId: 1, box: [0, 0, 50, 40], where: `${join(root, 'Annotations', '2008_000001.xml')}: object 1` },
      { classId: 2, box: [9, 9, 20, 20], where: `${join(root, 'Annotations', '2008_000001.xml')}: object 2`, difficult: true },
    ]);
    expect(samples[0]!.declaredSize).toEqual({ width: 100, height: 80 });
    expect(samples[1]!.rejected.map((r) => r.reason)).toEqual(['not numeric']);
    expect(samples[2]!.problem?.reason).toBe('unreadable annotations');
    expect(samples[2]!.problem?.detail).toMatch(/2008_000003\.xml:3: not valid XML/);
  });

  it('reads XML files beside their images when there is no Annotations/ folder', async () => {
    const root = await files(join(dir, 'v2'), { 'a.xml': xml('a.png', obj('cat', [5, 5, 10, 10])), 'a.png': 'x' });
    const dataset = await openDataset(root);
    expect(dataset.format).toBe('voc');
    const [sample] = await all(dataset);
    expect(sample!.imagePath).toBe(join(root, 'a.png'));
    expect(sample!.problem).toBeUndefined();
    expect(parseVocXml(xml('b.jpg', ''), 'b.xml').objects).toEqual([]);
  });
});

describe('format detection', () => {
  it('refuses what is no dataset, and --images for formats that do not use it', async () => {
    const root = await files(join(dir, 'd1'), { 'model.onnx': 'x', 'images/a.jpg': 'x' });
    await expect(openDataset(join(root, 'model.onnx'))).rejects.toThrow(/cannot read .*model\.onnx as a dataset/);
    await expect(openDataset(root, { images: root })).rejects.toThrow(/--images is for COCO JSON and VOC/);
    await expect(openDataset(join(root, 'nothing'))).rejects.toThrow(/dataset not found/);
  });
});
