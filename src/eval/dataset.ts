/**
 * YOLO-format datasets: `images/` (possibly nested, e.g. images/val2017) and `labels/` mirroring it with one
 * `<stem>.txt` per image holding `class cx cy w h` lines normalised to 0..1. The dataset is a list of image
 * paths; labels are read one image at a time, so memory does not grow with the dataset.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { Box } from '../image/letterbox.js';
import { EdgeoptError } from '../util/errors.js';
import { IMAGE_EXTENSIONS } from '../image/preprocess.js';


export interface YoloLabel {
  classId: number;
  /** Normalised centre and size (0..1). */
  cx: number;
  cy: number;
  w: number;
  h: number;
}

export interface YoloDataset {
  root: string;
  imagesDir: string;
  labelsDir: string;
  /** Image paths, sorted, so runs are reproducible. */
  images: string[];
}

export interface DatasetSample {
  imagePath: string;
  /** The label file, or undefined for a background image (no file). */
  labelPath: string | undefined;
  labels: YoloLabel[];
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Image files under `dir`, recursively, sorted by path. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Opens a dataset folder: `<dir>/images` + `<dir>/labels`, or a folder of images with labels beside them. */
export async function openYoloDataset(dir: string): Promise<YoloDataset> {
  if (!(await isDirectory(dir))) throw new EdgeoptError(`dataset folder not found: ${dir}`);
  const nested = await isDirectory(join(dir, 'images'));
  const imagesDir = nested ? join(dir, 'images') : dir;
  const labelsDir = nested ? join(dir, 'labels') : dir;
  const images = await listImages(imagesDir);
  if (images.length === 0) throw new EdgeoptError(`no images (${[...IMAGE_EXTENSIONS].join(' ')}) found in ${imagesDir}`);
  return { root: dir, imagesDir, labelsDir, images };
}

/** Where the label file of an image is, mirroring its path below images/. */
export function labelPathFor(dataset: YoloDataset, imagePath: string): string {
  const rel = relative(dataset.imagesDir, imagePath);
  return join(dataset.labelsDir, rel.slice(0, rel.length - extname(rel).length) + '.txt');
}

/**
 * Parses a label file. A line is `class cx cy w h`, or `class x1 y1 x2 y2 …` (a segmentation polygon, whose
 * bounding box is the label, as Ultralytics reads it). Anything else is an error naming file:line.
 */
export function parseYoloLabels(text: string, file: string): YoloLabel[] {
  const labels: YoloLabel[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    const fields = line.split(/\s+/);
    const values = fields.map(Number);
    const classId = values[0]!;
    if (!Number.isInteger(classId) || classId < 0) {
      throw new EdgeoptError(`${where}: class id must be a non-negative integer, got '${fields[0]}'`);
    }
    if (fields.length < 5 || (fields.length > 5 && fields.length % 2 === 0)) {
      throw new EdgeoptError(`${where}: expected 'class cx cy w h' (or a polygon 'class x1 y1 x2 y2 ...'), got ${fields.length} fields`);
    }
    const bad = values.findIndex((v, k) => k > 0 && (!Number.isFinite(v) || v < -1e-6 || v > 1 + 1e-6));
    if (bad > 0) throw new EdgeoptError(`${where}: coordinates must be normalised numbers in 0..1, got '${fields[bad]}'`);
    if (fields.length === 5) {
      labels.push({ classId, cx: values[1]!, cy: values[2]!, w: values[3]!, h: values[4]! });
    } else {
      const xs = values.slice(1).filter((_, k) => k % 2 === 0);
      const ys = values.slice(1).filter((_, k) => k % 2 === 1);
      const [x1, x2, y1, y2] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      labels.push({ classId, cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, w: x2 - x1, h: y2 - y1 });
    }
  }
  return labels;
}

/** A label's box in pixels of an image of the given size. */
export function labelToBox(label: YoloLabel, width: number, height: number): Box {
  return [
    (label.cx - label.w / 2) * width,
    (label.cy - label.h / 2) * height,
    (label.cx + label.w / 2) * width,
    (label.cy + label.h / 2) * height,
  ];
}

async function readLabels(path: string): Promise<{ text: string } | undefined> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EdgeoptError(`cannot read label file ${path}: ${(err as Error).message}`);
  }
}

/** Yields the dataset's images with their labels, one at a time. */
export async function* iterateDataset(dataset: YoloDataset, options: { maxImages?: number } = {}): AsyncGenerator<DatasetSample> {
  const count = Math.min(dataset.images.length, options.maxImages ?? Infinity);
  for (let i = 0; i < count; i++) {
    const imagePath = dataset.images[i]!;
    const labelPath = labelPathFor(dataset, imagePath);
    const file = await readLabels(labelPath);
    yield {
      imagePath,
      labelPath: file ? labelPath : undefined,
      labels: file ? parseYoloLabels(file.text, labelPath) : [],
    };
  }
}

/** The image's id for COCO-style bookkeeping: its file stem. */
export function imageStem(imagePath: string): string {
  return basename(imagePath, extname(imagePath));
}
