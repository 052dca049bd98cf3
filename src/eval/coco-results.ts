/**
 * The COCO results format (what pycocotools' `loadRes` reads): one record per detection with image_id,
 * category_id, bbox [x, y, width, height] in source-image pixels and score. Written while evaluating so anyone
 * can re-score edgeopt's predictions, together with the ground truth exactly as edgeopt scored it; and read back
 * by `scoreCocoResults`, edgeopt's own COCO path, so a test can check that the file gives the reported mAP.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseCocoAnnotations } from '../datasets/coco-json.js';
import { checkSample, type GroundTruthBox } from '../datasets/validate.js';
import type { DatasetSample } from '../datasets/types.js';
import { COCO_CATEGORY_IDS, COCO_NAMES } from '../models/coco-names.js';
import { DataQuality, type DataQualityOptions, type DataQualitySummary } from '../util/data-quality.js';
import { EdgeoptError } from '../util/errors.js';
import { readJsonFile, writeFileAtomic } from '../util/fs.js';
import type { Detection } from './decode.js';
import { MetricsAccumulator, type DetectionMetrics } from './map.js';

export interface CocoDetectionRecord {
  image_id: number;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** Boxes to a thousandth of a pixel and scores to 6 decimals: exact enough to re-score to the same mAP. */
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * The category id each model class is written with: the dataset's own ids for COCO JSON (through the class
 * mapping), the official COCO ids for a model with the 80 COCO classes, otherwise the class index.
 */
export function categoryIdsForModel(modelNames: readonly string[] | undefined, numClasses: number, datasetCategories?: { toModel: ReadonlyArray<number | undefined>; categoryIds: readonly number[] }): Array<number | undefined> {
  if (datasetCategories) {
    const ids = new Array<number | undefined>(numClasses).fill(undefined);
    datasetCategories.toModel.forEach((m, datasetClass) => {
      if (m !== undefined && ids[m] === undefined) ids[m] = datasetCategories.categoryIds[datasetClass];
    });
    return ids;
  }
  const isCoco = numClasses === COCO_NAMES.length && modelNames?.length === COCO_NAMES.length && modelNames.every((n, i) => n === COCO_NAMES[i]);
  return Array.from({ length: numClasses }, (_, c) => (isCoco ? COCO_CATEGORY_IDS[c] : c));
}

/** Streams detections to a temp file and renames it into place at the end (never a half-written file). */
export class CocoResultsWriter {
  private readonly tmp: string;
  private readonly stream: WriteStream;
  private first = true;
  written = 0;
  /** Detections of model classes that have no category in the annotations (not written). */
  unwritable = 0;

  private constructor(readonly path: string) {
    this.tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    this.stream = createWriteStream(this.tmp);
    this.stream.write('[');
  }

  static async open(path: string): Promise<CocoResultsWriter> {
    await mkdir(dirname(path), { recursive: true });
    return new CocoResultsWriter(path);
  }

  add(imageId: number, detections: readonly Detection[], categoryOf: ReadonlyArray<number | undefined>): void {
    for (const d of detections) {
      const category = categoryOf[d.classId];
      if (category === undefined) {
        this.unwritable++;
        continue;
      }
      const [x1, y1, x2, y2] = d.box;
      const record: CocoDetectionRecord = {
        image_id: imageId,
        category_id: category,
        bbox: [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
        score: round(d.score, 6),
      };
      this.stream.write(`${this.first ? '\n' : ',\n'}${JSON.stringify(record)}`);
      this.first = false;
      this.written++;
    }
  }

  async commit(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.on('error', reject);
      this.stream.end('\n]\n', () => resolve());
    });
    await rename(this.tmp, this.path);
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmp, { force: true });
  }
}

/** Collects the ground truth as it was scored (after skips and class mapping), to write as COCO annotations. */
export class CocoGroundTruthWriter {
  private readonly images: Array<{ id: number; file_name: string; width: number; height: number }> = [];
  private readonly annotations: Array<{ id: number; image_id: number; category_id: number; bbox: number[]; area: number; iscrowd: 0 | 1 }> = [];

  constructor(readonly path: string) {}

  add(image: { id: number; fileName: string; width: number; height: number }, groundTruth: readonly GroundTruthBox[], categoryOf: ReadonlyArray<number | undefined>): void {
    this.images.push({ id: image.id, file_name: image.fileName, width: image.width, height: image.height });
    for (const g of groundTruth) {
      const category = categoryOf[g.classId];
      if (category === undefined) continue;
      const [x1, y1, x2, y2] = g.box;
      // Ids from 1: pycocotools takes a match with annotation id 0 for no match.
      this.annotations.push({
        id: this.annotations.length + 1,
        image_id: image.id,
        category_id: category,
        bbox: [x1, y1, x2 - x1, y2 - y1],
        area: (x2 - x1) * (y2 - y1),
        // pycocotools knows one kind of ignored region; VOC's difficult objects become crowd regions there.
        iscrowd: g.crowd || g.ignore ? 1 : 0,
      });
    }
  }

  get annotationCount(): number {
    return this.annotations.length;
  }

  async commit(categories: Array<{ id: number; name: string }>): Promise<void> {
    const doc = { info: { description: 'ground truth as edgeopt scored it' }, images: this.images, annotations: this.annotations, categories };
    await writeFileAtomic(this.path, `${JSON.stringify(doc)}\n`);
  }
}

/** Where the ground truth goes beside `--save-json predictions.json`: predictions-ground-truth.json. */
export function groundTruthPathFor(predictionsPath: string): string {
  const base = predictionsPath.replace(/\.json$/i, '');
  return `${base}-ground-truth.json`;
}

export interface CocoScore extends DetectionMetrics {
  dataQuality: DataQualitySummary;
  /** Detections left out because their category is not in the annotations (pycocotools ignores them too). */
  ignoredDetections: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Scores COCO-format results against COCO annotations the way `edgeopt eval` scores a COCO JSON dataset:
 * every image in the annotations counts, crowd regions are ignored regions, at most 100 detections per image
 * and class. No images are read; the annotations' declared sizes bound the boxes.
 */
export async function scoreCocoResults(annotationsPath: string, results: string | readonly CocoDetectionRecord[], options: DataQualityOptions = {}): Promise<CocoScore> {
  const gt = parseCocoAnnotations(await readJsonFile(annotationsPath, 'COCO annotation file'), annotationsPath);
  const records = typeof results === 'string' ? await readJsonFile(results, 'COCO results file') : results;
  if (!Array.isArray(records)) throw new EdgeoptError(`${typeof results === 'string' ? results : 'results'}: expected a JSON list of detections`);
  const classOf = new Map(gt.categories.map((c, i) => [c.id, i]));
  const imageIds = new Set(gt.images.map((i) => i.id));
  const detections = new Map<number, Detection[]>();
  let ignoredDetections = 0;
  records.forEach((r: Partial<CocoDetectionRecord>, k) => {
    const b = r?.bbox;
    if (!r || !finite(r.image_id) || !finite(r.score) || !Array.isArray(b) || b.length !== 4 || !b.every(finite)) {
      throw new EdgeoptError(`results entry ${k + 1} is not a detection {image_id, category_id, bbox: [x, y, w, h], score}: ${JSON.stringify(r).slice(0, 100)}`);
    }
    // As pycocotools' loadRes: results for images the annotations do not have are an error.
    if (!imageIds.has(r.image_id)) throw new EdgeoptError(`results entry ${k + 1}: image_id ${r.image_id} is not in ${annotationsPath}`);
    const classId = finite(r.category_id) ? classOf.get(r.category_id) : undefined;
    if (classId === undefined) {
      ignoredDetections++;
      return;
    }
    const list = detections.get(r.image_id) ?? [];
    list.push({ classId, score: r.score, box: [b[0], b[1], b[0] + b[2], b[1] + b[3]] });
    detections.set(r.image_id, list);
  });
  const quality = new DataQuality({ labelUnit: 'annotations', what: annotationsPath, ...options });
  for (const orphan of gt.orphans) quality.badLabel(orphan.where, orphan.reason, orphan.detail);
  const identity = { by: 'index' as const, unmatched: [], notes: [] };
  const metrics = new MetricsAccumulator();
  for (const image of gt.images) {
    const sample: DatasetSample = {
      imagePath: image.file_name, imageId: image.id, background: false, normalized: false,
      boxes: gt.boxes.get(image.id) ?? [], rejected: gt.rejected.get(image.id) ?? [],
    };
    const size = { width: image.width ?? Infinity, height: image.height ?? Infinity };
    const checked = checkSample(sample, size, identity, {});
    for (const r of checked.rejected) quality.badLabel(r.where, r.reason, r.detail);
    quality.goodLabels(checked.accepted);
    quality.goodImage();
    metrics.addImage(checked.groundTruth, detections.get(image.id) ?? []);
  }
  quality.enforce();
  return { ...metrics.result(gt.categories.map((c) => c.name)), dataQuality: quality.summary(), ignoredDetections };
}
