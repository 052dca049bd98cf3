/**
 * COCO JSON (`instances_val2017.json` and the like): `images` (id, file_name, width, height), `annotations`
 * (image_id, category_id, bbox [x, y, w, h] in pixels, iscrowd) and `categories` (id, name). Categories meet the
 * model's classes by name later; crowd boxes are kept as ignored regions, as pycocotools treats them.
 * Images are looked for where `file_name` says, relative to the JSON's folder and the usual COCO layouts,
 * or in `--images <dir>`.
 */
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { EdgeoptError } from '../util/errors.js';
import { readJsonFile } from '../util/fs.js';
import { isDirectory, isFile } from './files.js';
import type { Dataset, DatasetLoader, DatasetSample, OpenDatasetOptions, RejectedEntry, SampleBox } from './types.js';

interface CocoImage {
  id: number;
  file_name: string;
  width?: number;
  height?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Folders where a COCO file's images usually are: beside it, ../images, ../<split> (coco/annotations/instances_val2017.json → coco/val2017). */
function imageDirCandidates(jsonPath: string): string[] {
  const dir = dirname(resolve(jsonPath));
  const split = /^instances_(.+?)(?:_.*)?\.json$/i.exec(basename(jsonPath))?.[1];
  const candidates = [dir, join(dir, 'images'), join(dir, '..', 'images'), join(dir, '..')];
  if (split) candidates.push(join(dir, '..', split), join(dir, '..', 'images', split), join(dir, split));
  return candidates;
}

async function findImageDir(jsonPath: string, images: readonly CocoImage[], explicit: string | undefined): Promise<string> {
  const probe = images.slice(0, 5);
  if (explicit !== undefined) {
    if (!(await isDirectory(explicit))) throw new EdgeoptError(`--images folder not found: ${explicit}`);
    return explicit;
  }
  for (const dir of imageDirCandidates(jsonPath)) {
    for (const image of probe) if (await isFile(resolve(dir, image.file_name))) return dir;
  }
  throw new EdgeoptError(
    `the images of ${jsonPath} (e.g. '${probe[0]?.file_name}') are not in ${imageDirCandidates(jsonPath).join(', ')}; pass --images <dir>`,
  );
}

/** The parsed annotation file, validated enough that every later step can trust its types. */
export interface CocoAnnotations {
  images: CocoImage[];
  categories: Array<{ id: number; name: string }>;
  /** Boxes and rejected entries by image id. */
  boxes: Map<number, SampleBox[]>;
  rejected: Map<number, RejectedEntry[]>;
  orphans: RejectedEntry[];
  annotationCount: number;
}

export function parseCocoAnnotations(doc: unknown, file: string): CocoAnnotations {
  const name = basename(file);
  if (!isRecord(doc) || !Array.isArray(doc.images) || !Array.isArray(doc.categories)) {
    throw new EdgeoptError(`${file} is not a COCO annotation file (expected 'images' and 'categories' lists${isRecord(doc) ? '' : ', got no object'})`);
  }
  const categories: Array<{ id: number; name: string }> = [];
  for (const c of doc.categories) {
    if (!isRecord(c) || !finite(c.id) || typeof c.name !== 'string') throw new EdgeoptError(`${file}: every category needs a numeric id and a name, got ${JSON.stringify(c).slice(0, 80)}`);
    if (categories.some((k) => k.id === c.id)) throw new EdgeoptError(`${file}: category id ${c.id} appears twice`);
    categories.push({ id: c.id, name: c.name });
  }
  if (categories.length === 0) throw new EdgeoptError(`${file} lists no categories`);
  const images: CocoImage[] = [];
  const seen = new Set<number>();
  for (const im of doc.images) {
    if (!isRecord(im) || !finite(im.id) || typeof im.file_name !== 'string') throw new EdgeoptError(`${file}: every image needs a numeric id and a file_name, got ${JSON.stringify(im).slice(0, 80)}`);
    if (seen.has(im.id)) throw new EdgeoptError(`${file}: image id ${im.id} appears twice`);
    seen.add(im.id);
    images.push({ id: im.id, file_name: im.file_name, width: finite(im.width) ? im.width : undefined, height: finite(im.height) ? im.height : undefined });
  }
  if (images.length === 0) throw new EdgeoptError(`${file} lists no images`);
  // pycocotools evaluates images in id order.
  images.sort((a, b) => a.id - b.id);
  const classOf = new Map(categories.map((c, i) => [c.id, i]));
  const boxes = new Map<number, SampleBox[]>();
  const rejected = new Map<number, RejectedEntry[]>();
  const orphans: RejectedEntry[] = [];
  const annotations = Array.isArray(doc.annotations) ? doc.annotations : [];
  annotations.forEach((a, index) => {
    const id = isRecord(a) && (finite(a.id) || typeof a.id === 'string') ? a.id : `#${index + 1}`;
    const where = `${name}: annotation ${id}`;
    if (!isRecord(a) || !finite(a.image_id) || !seen.has(a.image_id)) {
      orphans.push({ where, reason: 'unknown image', detail: `image_id ${isRecord(a) ? JSON.stringify(a.image_id) : '?'} is not in the images list` });
      return;
    }
    const reject = (reason: string, detail: string) => {
      const list = rejected.get(a.image_id as number) ?? [];
      list.push({ where, reason, detail });
      rejected.set(a.image_id as number, list);
    };
    const classId = finite(a.category_id) ? classOf.get(a.category_id) : undefined;
    if (classId === undefined) return reject('unknown category', `category_id ${JSON.stringify(a.category_id)} is not in the categories list`);
    const b = a.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every(finite)) return reject('not numeric', `bbox must be [x, y, width, height] numbers, got ${JSON.stringify(b)}`);
    const [x, y, w, h] = b as [number, number, number, number];
    const list = boxes.get(a.image_id) ?? [];
    list.push({ classId, box: [x, y, x + w, y + h], where, ...(a.iscrowd ? { crowd: true } : {}) });
    boxes.set(a.image_id, list);
  });
  return { images, categories, boxes, rejected, orphans, annotationCount: annotations.length };
}

export async function openCocoJson(file: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const parsed = parseCocoAnnotations(await readJsonFile(file, 'COCO annotation file'), file);
  const imageDir = await findImageDir(file, parsed.images, options.images);
  const pathOf = (image: CocoImage) => (isAbsolute(image.file_name) ? image.file_name : resolve(imageDir, image.file_name));
  const crowd = [...parsed.boxes.values()].reduce((n, list) => n + list.filter((b) => b.crowd).length, 0);
  async function* samples(o: { maxImages?: number } = {}): AsyncGenerator<DatasetSample> {
    const count = Math.min(parsed.images.length, o.maxImages ?? Infinity);
    for (let i = 0; i < count; i++) {
      const image = parsed.images[i]!;
      const imagePath = pathOf(image);
      const exists = await isFile(imagePath);
      yield {
        imagePath,
        imageId: image.id,
        background: false,
        normalized: false,
        boxes: parsed.boxes.get(image.id) ?? [],
        rejected: parsed.rejected.get(image.id) ?? [],
        ...(image.width && image.height ? { declaredSize: { width: image.width, height: image.height } } : {}),
        ...(exists ? {} : { problem: { reason: 'missing', detail: `image file not found (${image.file_name} in ${imageDir})` } }),
      };
    }
  }
  return {
    format: 'coco-json',
    source: file,
    description: `${parsed.images.length} images in ${imageDir}, ${parsed.annotationCount} annotations${crowd ? ` (${crowd} crowd)` : ''}, ${parsed.categories.length} categories`,
    names: parsed.categories.map((c) => c.name),
    categoryIds: parsed.categories.map((c) => c.id),
    classMatch: 'name',
    imageCount: parsed.images.length,
    labelUnit: 'annotations',
    orphans: parsed.orphans,
    imagePaths: parsed.images.map(pathOf),
    samples,
  };
}

export const cocoJsonLoader: DatasetLoader = {
  format: 'coco-json',
  async detect(path) {
    if (/\.json$/i.test(path)) return isFile(path);
    return false;
  },
  open: openCocoJson,
};
