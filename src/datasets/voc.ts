/**
 * Pascal VOC: one XML file per image (`Annotations/<id>.xml` beside `JPEGImages/`, or XML files next to their
 * images as labelling tools write them) with `filename`, `size` and `object`s (`name`, `difficult`, `bndbox`
 * xmin/ymin/xmax/ymax in 1-based pixel coordinates). The split comes from `ImageSets/Main/<split>.txt` when
 * that file exists. `difficult` objects are ignored regions, as in the VOC devkit.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EdgeoptError, describeError } from '../util/errors.js';
import { assignImageIds, isDirectory, isFile } from './files.js';
import type { Dataset, DatasetLoader, DatasetSample, OpenDatasetOptions, RejectedEntry, SampleBox } from './types.js';

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'object' });

interface VocObject {
  name: string;
  difficult: boolean;
  /** x1, y1, x2, y2 as written (1-based pixel indices). */
  bndbox: [number, number, number, number] | undefined;
  raw: string;
}

export interface VocAnnotation {
  filename?: string;
  width?: number;
  height?: number;
  objects: VocObject[];
}

/** Parses one annotation file; throws (with the parser's line) when the XML itself is broken. */
export function parseVocXml(text: string, file: string): VocAnnotation {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new EdgeoptError(`${file}:${valid.err.line}: not valid XML (${valid.err.msg})`);
  const doc = parser.parse(text) as { annotation?: Record<string, unknown> };
  const a = doc.annotation;
  if (!a || typeof a !== 'object') throw new EdgeoptError(`${file}: no <annotation> element`);
  const size = (a.size ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (v === undefined || v === '' ? NaN : Number(v));
  const objects = ((a.object ?? []) as Array<Record<string, unknown>>).map((o): VocObject => {
    const b = o.bndbox as Record<string, unknown> | undefined;
    const coords = b ? ([num(b.xmin), num(b.ymin), num(b.xmax), num(b.ymax)] as [number, number, number, number]) : undefined;
    return { name: String(o.name ?? '').trim(), difficult: String(o.difficult ?? '0').trim() === '1', bndbox: coords, raw: JSON.stringify(b ?? null) };
  });
  const width = num(size.width);
  const height = num(size.height);
  return {
    filename: typeof a.filename === 'string' && a.filename.trim() ? a.filename.trim() : undefined,
    ...(width > 0 && height > 0 ? { width, height } : {}),
    objects,
  };
}

interface VocLayout {
  annotationsDir: string;
  /** Folders to look for images in, in order. */
  imageDirs: string[];
  ids: string[];
  splitNote: string;
}

async function vocLayout(dir: string, options: OpenDatasetOptions): Promise<VocLayout> {
  const nested = await isDirectory(join(dir, 'Annotations'));
  const annotationsDir = nested ? join(dir, 'Annotations') : dir;
  const imageDirs = [...(options.images ? [options.images] : []), join(dir, 'JPEGImages'), annotationsDir];
  const split = options.split ?? 'val';
  const listFile = join(dir, 'ImageSets', 'Main', `${split}.txt`);
  if (await isFile(listFile)) {
    const ids = (await readFile(listFile, 'utf8')).split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
    return { annotationsDir, imageDirs, ids, splitNote: `split ${split} from ${listFile}` };
  }
  const ids = (await readdir(annotationsDir)).filter((f) => extname(f).toLowerCase() === '.xml').map((f) => basename(f, extname(f))).sort();
  return { annotationsDir, imageDirs, ids, splitNote: `all ${ids.length} annotation files (no ImageSets/Main/${split}.txt)` };
}

const IMAGE_GUESSES = ['.jpg', '.jpeg', '.png'];

async function findImage(dirs: readonly string[], filename: string | undefined, id: string): Promise<string | undefined> {
  const names = filename ? [filename] : IMAGE_GUESSES.map((e) => `${id}${e}`);
  for (const dir of dirs) for (const name of names) if (await isFile(resolve(dir, name))) return resolve(dir, name);
  return undefined;
}

/** A VOC object as a sample box, or why it cannot be one. */
function objectBox(o: VocObject, index: number, file: string, classOf: Map<string, number>): SampleBox | RejectedEntry {
  const where = `${file}: object ${index + 1}`;
  if (!o.name) return { where, reason: 'no class name', detail: 'object has no <name>' };
  if (!o.bndbox || !o.bndbox.every(Number.isFinite)) return { where, reason: 'not numeric', detail: `bndbox must hold numeric xmin, ymin, xmax, ymax, got ${o.raw}` };
  const [xmin, ymin, xmax, ymax] = o.bndbox;
  // 1-based inclusive pixel indices: pixel i covers [i-1, i] in continuous coordinates.
  return { classId: classOf.get(o.name)!, box: [xmin - 1, ymin - 1, xmax, ymax], where, ...(o.difficult ? { difficult: true } : {}) };
}

export async function openVoc(dir: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const layout = await vocLayout(dir, options);
  if (layout.ids.length === 0) throw new EdgeoptError(`no VOC annotation files (.xml) in ${layout.annotationsDir}`);
  // Class names are those the XML files use; they are known only after reading them all, which is cheap.
  const parsed: Array<{ id: string; file: string; annotation?: VocAnnotation; error?: string }> = [];
  for (const id of layout.ids) {
    const file = join(layout.annotationsDir, `${id}.xml`);
    try {
      parsed.push({ id, file, annotation: parseVocXml(await readFile(file, 'utf8'), file) });
    } catch (err) {
      parsed.push({ id, file, error: describeError(err) });
    }
  }
  const names = [...new Set(parsed.flatMap((p) => p.annotation?.objects.map((o) => o.name).filter(Boolean) ?? []))].sort();
  const classOf = new Map(names.map((n, i) => [n, i]));
  const imagePaths: string[] = [];
  for (const p of parsed) imagePaths.push((await findImage(layout.imageDirs, p.annotation?.filename, p.id)) ?? join(layout.imageDirs.at(-2)!, p.annotation?.filename ?? `${p.id}.jpg`));
  const imageIds = assignImageIds(imagePaths);
  const objects = parsed.reduce((n, p) => n + (p.annotation?.objects.length ?? 0), 0);
  async function* samples(o: { maxImages?: number } = {}): AsyncGenerator<DatasetSample> {
    const count = Math.min(parsed.length, o.maxImages ?? Infinity);
    for (let i = 0; i < count; i++) {
      const p = parsed[i]!;
      const imagePath = imagePaths[i]!;
      const base = { imagePath, imageId: imageIds[i]!, labelFile: p.file, background: false, normalized: false };
      if (!p.annotation) {
        yield { ...base, boxes: [], rejected: [], problem: { reason: 'unreadable annotations', detail: p.error! } };
        continue;
      }
      const boxes: SampleBox[] = [];
      const rejected: RejectedEntry[] = [];
      p.annotation.objects.forEach((obj, k) => {
        const r = objectBox(obj, k, p.file, classOf);
        if ('box' in r) boxes.push(r);
        else rejected.push(r);
      });
      const exists = await isFile(imagePath);
      yield {
        ...base,
        boxes,
        rejected,
        ...(p.annotation.width ? { declaredSize: { width: p.annotation.width, height: p.annotation.height! } } : {}),
        ...(exists ? {} : { problem: { reason: 'missing', detail: `image file not found (looked in ${layout.imageDirs.join(', ')}; pass --images <dir>)` } }),
      };
    }
  }
  return {
    format: 'voc',
    source: dir,
    description: `${parsed.length} images (${layout.splitNote}), ${objects} objects, ${names.length} class names`,
    names,
    classMatch: 'name',
    imageCount: parsed.length,
    labelUnit: 'annotations',
    orphans: [],
    imagePaths,
    samples,
  };
}

export const vocLoader: DatasetLoader = {
  format: 'voc',
  async detect(path) {
    if (!(await isDirectory(path))) return false;
    if (await isDirectory(join(path, 'Annotations'))) return true;
    // XML annotations beside the images, and no YOLO labels.
    const entries = await readdir(path);
    return entries.some((f) => extname(f).toLowerCase() === '.xml') && !entries.includes('labels');
  },
  open: openVoc,
};
