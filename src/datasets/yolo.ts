/**
 * YOLO-format datasets: `images/` (possibly nested, e.g. images/val2017) and `labels/` mirroring it with one
 * `<stem>.txt` per image holding `class cx cy w h` lines normalised to 0..1 (or a polygon `class x1 y1 x2 y2 …`,
 * read as its bounding box, as Ultralytics does). Labels are read one image at a time, so memory does not grow
 * with the dataset. A line that cannot be read is rejected with its file:line; the rest of the file is kept.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { IMAGE_EXTENSIONS } from '../image/preprocess.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { assignImageIds, isDirectory, listImages } from './files.js';
import type { Dataset, DatasetLoader, DatasetSample, RejectedEntry, SampleBox } from './types.js';

/** Tolerance for normalised values just outside 0..1 (rounding in label converters). */
const NORMALISED_SLACK = 1e-6;

export interface ParsedLabels {
  boxes: SampleBox[];
  rejected: RejectedEntry[];
}

/**
 * Parses a label file into boxes (normalised x1 y1 x2 y2) and rejected lines. Checks what the text alone can
 * tell (numbers, field count, 0..1 range); the class range, zero size and duplicates are checked later for every
 * format alike.
 */
export function parseYoloLabels(text: string, file: string): ParsedLabels {
  const boxes: SampleBox[] = [];
  const rejected: RejectedEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    const reject = (reason: string, detail: string) => rejected.push({ where, reason, detail });
    const fields = line.split(/\s+/);
    const values = fields.map(Number);
    const classId = values[0]!;
    if (!Number.isInteger(classId) || classId < 0) {
      reject('not numeric', `class id must be a non-negative integer, got '${fields[0]}'`);
      continue;
    }
    if (fields.length < 5 || (fields.length > 5 && fields.length % 2 === 0)) {
      reject('wrong field count', `expected 'class cx cy w h' (or a polygon 'class x1 y1 x2 y2 ...'), got ${fields.length} fields`);
      continue;
    }
    const nan = values.findIndex((v, k) => k > 0 && !Number.isFinite(v));
    if (nan > 0) {
      reject('not numeric', `coordinate '${fields[nan]}' is not a number`);
      continue;
    }
    const out = values.findIndex((v, k) => k > 0 && (v < -NORMALISED_SLACK || v > 1 + NORMALISED_SLACK));
    if (out > 0) {
      reject('outside the image', `coordinates must be normalised to 0..1, got '${fields[out]}'`);
      continue;
    }
    if (fields.length === 5) {
      const [cx, cy, w, h] = values.slice(1) as [number, number, number, number];
      boxes.push({ classId, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], where });
    } else {
      const xs = values.slice(1).filter((_, k) => k % 2 === 0);
      const ys = values.slice(1).filter((_, k) => k % 2 === 1);
      boxes.push({ classId, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], where });
    }
  }
  return { boxes, rejected };
}

async function readLabelFile(path: string): Promise<{ text: string } | { missing: true } | { error: string }> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { error: describeError(err) };
  }
}

/**
 * Samples for a list of images whose labels are found by `labelPathOf` (YOLO folders and data.yaml splits).
 * An image without a label file is a background image (all its detections are false positives).
 */
export async function* yoloSamples(
  imagePaths: readonly string[],
  labelPathOf: (imagePath: string) => string,
  options: { maxImages?: number } = {},
): AsyncGenerator<DatasetSample> {
  const ids = assignImageIds(imagePaths);
  const count = Math.min(imagePaths.length, options.maxImages ?? Infinity);
  for (let i = 0; i < count; i++) {
    const imagePath = imagePaths[i]!;
    const labelPath = labelPathOf(imagePath);
    const file = await readLabelFile(labelPath);
    const base = { imagePath, imageId: ids[i]!, normalized: true };
    if ('error' in file) {
      yield { ...base, labelFile: labelPath, background: false, boxes: [], rejected: [], problem: { reason: 'unreadable labels', detail: `cannot read label file ${labelPath}: ${file.error}` } };
    } else if ('missing' in file) {
      yield { ...base, background: true, boxes: [], rejected: [] };
    } else {
      yield { ...base, labelFile: labelPath, background: false, ...parseYoloLabels(file.text, labelPath) };
    }
  }
}

/** Ultralytics' rule: the label of …/images/…/x.jpg is …/labels/…/x.txt (the last `images` folder replaced). */
export function ultralyticsLabelPath(imagePath: string): string {
  const marker = `${sep}images${sep}`;
  const at = imagePath.lastIndexOf(marker);
  const swapped = at >= 0 ? `${imagePath.slice(0, at)}${sep}labels${sep}${imagePath.slice(at + marker.length)}` : imagePath;
  return swapped.slice(0, swapped.length - extname(swapped).length) + '.txt';
}

export interface YoloFolder {
  imagesDir: string;
  labelsDir: string;
  images: string[];
}

/** A dataset folder: `<dir>/images` + `<dir>/labels`, or a folder of images with labels beside them. */
export async function openYoloFolder(dir: string): Promise<YoloFolder> {
  if (!(await isDirectory(dir))) throw new EdgeoptError(`dataset folder not found: ${dir}`);
  const nested = await isDirectory(join(dir, 'images'));
  const imagesDir = nested ? join(dir, 'images') : dir;
  const labelsDir = nested ? join(dir, 'labels') : dir;
  const images = await listImages(imagesDir);
  if (images.length === 0) throw new EdgeoptError(`no images (${[...IMAGE_EXTENSIONS].join(' ')}) found in ${imagesDir}`);
  return { imagesDir, labelsDir, images };
}

/** Where the label file of an image is, mirroring its path below images/. */
export function labelPathFor(folder: YoloFolder, imagePath: string): string {
  const rel = relative(folder.imagesDir, imagePath);
  return join(folder.labelsDir, rel.slice(0, rel.length - extname(rel).length) + '.txt');
}

export const yoloLoader: DatasetLoader = {
  format: 'yolo',
  // Any folder: the registry asks the more specific formats first.
  detect: (path) => isDirectory(path),
  async open(path): Promise<Dataset> {
    const folder = await openYoloFolder(path);
    return {
      format: 'yolo',
      source: path,
      description: `${folder.images.length} images in ${folder.imagesDir}, labels in ${folder.labelsDir}`,
      classMatch: 'index',
      imageCount: folder.images.length,
      labelUnit: 'label lines',
      orphans: [],
      imagePaths: folder.images,
      samples: (options = {}) => yoloSamples(folder.images, (image) => labelPathFor(folder, image), options),
    };
  },
};
