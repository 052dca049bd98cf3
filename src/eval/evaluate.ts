/**
 * Accuracy of a detector on a dataset in any supported format (COCO-style mAP), and optionally how faithfully it
 * reproduces an FP32 reference model's raw outputs and detections on the same images. Bad images and labels are
 * skipped, named and counted; the evaluation fails only when more than `maxBad` of them are bad.
 */
import { dirname, relative } from 'node:path';
import { describeDataset, openDataset } from '../datasets/registry.js';
import { mapClasses } from '../datasets/classes.js';
import type { Dataset, DatasetFormat } from '../datasets/types.js';
import { checkSample } from '../datasets/validate.js';
import type { ModelFamily } from '../models/family.js';
import { decodeRgb, letterboxToTensor, unreadableImage, type DecodedRgb } from '../image/preprocess.js';
import { DataQuality, type DataQualitySummary } from '../util/data-quality.js';
import { EdgeoptError } from '../util/errors.js';
import { CocoGroundTruthWriter, CocoResultsWriter, categoryIdsForModel, groundTruthPathFor } from './coco-results.js';
import { DISPLAY_THRESHOLDS, decodeDetections, type Detection } from './decode.js';
import { detectInImage, openDetector, resolveLayout, type Detector, type RawOutput } from './detector.js';
import { MetricsAccumulator, type DetectionMetrics } from './map.js';
import { boxIou } from './nms.js';

/** NMS IoU of the official validators: YOLOv5's val.py uses 0.6, Ultralytics' DetectionValidator 0.7. */
export const VALIDATOR_IOU: Record<ModelFamily, number> = { yolov5: 0.6, ultralytics: 0.7 };
export const VALIDATOR_CONF = 0.001;
/** Thresholds used to compare detections with the reference model: what a user would see (predictor defaults). */
const AGREEMENT_MATCH_IOU = 0.5;

export interface EvalOptions {
  imgsz?: number;
  /** Confidence threshold (default 0.001, as the validators). */
  conf?: number;
  /** NMS IoU (default: 0.6 for the YOLOv5 layout, 0.7 for Ultralytics). */
  iou?: number;
  maxImages?: number;
  maxDetections?: number;
  /** Class names overriding the model's metadata. */
  names?: string[];
  /** An FP32 model to compare raw outputs and detections with. */
  reference?: string;
  /** Image folder for COCO JSON / VOC annotations whose images are elsewhere. */
  images?: string;
  /** Largest accepted share of bad images or labels, 0..1 (default 0.05). */
  maxBad?: number;
  /** Fail at the first bad image or label. */
  strict?: boolean;
  /** One line per bad item and per class-mapping note (the CLI prints them on stderr). */
  onWarning?: (line: string) => void;
  /** Called once the dataset is open, with the line saying which format it is. */
  onDataset?: (description: string) => void;
  onProgress?: (done: number, total: number) => void;
  /**
   * Write the predictions here in the COCO results format, and beside them (`…-ground-truth.json`) the ground
   * truth exactly as it was scored, so pycocotools on the two files reproduces this evaluation.
   */
  saveJson?: string;
}

/** The files `saveJson` wrote. */
export interface SavedJson {
  predictions: string;
  detections: number;
  groundTruth: string;
  annotations: number;
  /** Detections of model classes the annotations have no category for (not written). */
  unwritableDetections: number;
}

/** How the dataset's classes were matched to the model's, and what was left out. */
export interface ClassMatchReport {
  by: 'index' | 'name';
  /** Dataset classes the model does not have. */
  unmatched: string[];
  /** Boxes left out because their class is not the model's, by dataset class name. */
  excluded: Record<string, number>;
  notes: string[];
}

export interface OutputFidelity {
  reference: string;
  images: number;
  /** Cosine similarity of all raw output values, over all images together. */
  cosine: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Share of the reference's detections (conf 0.25) that this model also finds: same class, IoU ≥ 0.5. */
  detectionAgreement: number;
  referenceDetections: number;
  matchedDetections: number;
  /** Detections this model makes at conf 0.25 (to spot extra boxes that agreement alone would miss). */
  modelDetections: number;
}

export interface EvalResult extends DetectionMetrics {
  schemaVersion: 1;
  model: string;
  dataset: string;
  format: DatasetFormat;
  /** The line that says what the dataset is (format, images, labels). */
  datasetDescription: string;
  layout: ModelFamily;
  imgsz: [number, number];
  conf: number;
  iou: number;
  maxDetections: number;
  multiLabel: true;
  /** Images without a label file (all their detections are false positives). */
  backgroundImages: number;
  /** Bad images and labels skipped, by reason. */
  dataQuality: DataQualitySummary;
  classes: ClassMatchReport;
  /** Mean milliseconds per image. */
  speedMs: { preprocess: number; inference: number; postprocess: number };
  fidelity?: OutputFidelity;
  savedJson?: SavedJson;
}

/** Running sums for comparing raw outputs and detections with a reference model. */
class FidelityAccumulator {
  private dot = 0;
  private normA = 0;
  private normB = 0;
  private maxAbs = 0;
  private sumAbs = 0;
  private values = 0;
  private images = 0;
  private refDetections = 0;
  private matched = 0;
  private modelDetections = 0;

  constructor(private readonly referencePath: string) {}

  add(model: RawOutput, reference: RawOutput): void {
    if (model.dims.join(',') !== reference.dims.join(',')) {
      throw new EdgeoptError(`reference output [${reference.dims.join(',')}] and model output [${model.dims.join(',')}] differ in shape; compare models of the same architecture`);
    }
    const a = model.data;
    const b = reference.data;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      this.dot += x * y;
      this.normA += x * x;
      this.normB += y * y;
      const d = Math.abs(x - y);
      this.sumAbs += d;
      if (d > this.maxAbs) this.maxAbs = d;
    }
    this.values += a.length;
    this.images++;
    const options = { confThreshold: DISPLAY_THRESHOLDS.confThreshold, iouThreshold: DISPLAY_THRESHOLDS.iouThreshold };
    const ours = decodeDetections(a, model.dims, options);
    const theirs = decodeDetections(b, reference.dims, options);
    this.modelDetections += ours.length;
    this.refDetections += theirs.length;
    this.matched += countAgreement(theirs, ours);
  }

  result(): OutputFidelity {
    return {
      reference: this.referencePath,
      images: this.images,
      cosine: this.normA > 0 && this.normB > 0 ? this.dot / Math.sqrt(this.normA * this.normB) : 0,
      maxAbsDiff: this.maxAbs,
      meanAbsDiff: this.values ? this.sumAbs / this.values : 0,
      detectionAgreement: this.refDetections ? this.matched / this.refDetections : 1,
      referenceDetections: this.refDetections,
      matchedDetections: this.matched,
      modelDetections: this.modelDetections,
    };
  }
}

/** Reference detections (best first) matched one-to-one to unmatched detections of the same class at IoU ≥ 0.5. */
export function countAgreement(reference: readonly Detection[], candidate: readonly Detection[]): number {
  const taken = new Array<boolean>(candidate.length).fill(false);
  let matched = 0;
  for (const ref of reference) {
    let best = -1;
    let bestIou = AGREEMENT_MATCH_IOU;
    candidate.forEach((c, k) => {
      if (taken[k] || c.classId !== ref.classId) return;
      const iou = boxIou(ref.box, c.box);
      if (iou >= bestIou) {
        bestIou = iou;
        best = k;
      }
    });
    if (best >= 0) {
      taken[best] = true;
      matched++;
    }
  }
  return matched;
}

export async function evaluateModel(modelPath: string, dataPath: string, options: EvalOptions = {}): Promise<EvalResult> {
  const dataset = await openDataset(dataPath, { images: options.images, split: 'val' });
  options.onDataset?.(describeDataset(dataset));
  const detector = await openDetector(modelPath, { imgsz: options.imgsz, names: options.names });
  let reference: Detector | undefined;
  try {
    if (options.reference) reference = await openDetector(options.reference, { imgsz: options.imgsz });
    if (reference && (reference.width !== detector.width || reference.height !== detector.height)) {
      throw new EdgeoptError(`reference input ${reference.width}x${reference.height} differs from the model's ${detector.width}x${detector.height}`);
    }
    return await runEvaluation(detector, reference, dataset, dataPath, options);
  } finally {
    await detector.release();
    await reference?.release();
  }
}

/** Decodes a dataset image, or says why it cannot be used. */
async function decodeDatasetImage(path: string): Promise<DecodedRgb | { reason: string; detail: string }> {
  try {
    // 'warning': a JPEG that decodes only with "corrupt data" complaints has made-up pixels.
    return await decodeRgb(path, { failOn: 'warning' });
  } catch (err) {
    return unreadableImage(path, err);
  }
}

async function runEvaluation(
  detector: Detector,
  reference: Detector | undefined,
  dataset: Dataset,
  dataPath: string,
  options: EvalOptions,
): Promise<EvalResult> {
  const total = Math.min(dataset.imageCount, options.maxImages ?? Infinity);
  const conf = options.conf ?? VALIDATOR_CONF;
  const maxDetections = options.maxDetections ?? 300;
  const metrics = new MetricsAccumulator();
  const fidelity = reference ? new FidelityAccumulator(reference.modelPath) : undefined;
  const quality = new DataQuality({ maxBad: options.maxBad, strict: options.strict, onWarning: options.onWarning, what: dataPath, labelUnit: dataset.labelUnit });
  // Class names are compared before anything is evaluated, so a mismatch is said first, not found afterwards.
  const classes = mapClasses(dataset, { names: detector.names, numClasses: detector.layout?.numClasses ?? detector.names?.length });
  for (const note of classes.notes) options.onWarning?.(note);
  for (const orphan of dataset.orphans) quality.badLabel(orphan.where, orphan.reason, orphan.detail);
  const excluded: Record<string, number> = {};
  const predictions = options.saveJson ? await CocoResultsWriter.open(options.saveJson) : undefined;
  const truth = options.saveJson ? new CocoGroundTruthWriter(groundTruthPathFor(options.saveJson)) : undefined;
  const root = dataset.format === 'yolo' || dataset.format === 'voc' ? dataPath : dirname(dataPath);
  let categoryOf: Array<number | undefined> = [];
  try {
    return await evaluateSamples();
  } catch (err) {
    await predictions?.abort();
    throw err;
  }

  async function evaluateSamples(): Promise<EvalResult> {
    let layout: ModelFamily | undefined;
    let numClasses = detector.layout?.numClasses;
    let iou = options.iou;
    let background = 0;
    const time = { preprocess: 0, inference: 0, postprocess: 0 };
    let done = 0;
    let evaluated = 0;
    for await (const sample of dataset.samples({ maxImages: options.maxImages })) {
      done++;
      const decoded = sample.problem ?? (await decodeDatasetImage(sample.imagePath));
      if ('detail' in decoded) {
        quality.badImage(sample.imagePath, decoded.reason, decoded.detail);
        options.onProgress?.(done, total);
        continue;
      }
      const image = decoded;
      quality.goodImage();
      if (layout === undefined) {
        // The NMS IoU default depends on the family, which the output shape reveals.
        const info = await resolveLayout(detector, await letterboxToTensor(image, detector));
        layout = info.layout;
        numClasses = info.numClasses;
        iou ??= VALIDATOR_IOU[layout];
        const cocoCategories = dataset.categoryIds && classes.toModel ? { toModel: classes.toModel, categoryIds: dataset.categoryIds } : undefined;
        categoryOf = categoryIdsForModel(detector.names, numClasses, cocoCategories);
      }
      const checked = checkSample(sample, image, classes, { numClasses }, dataset.names);
      for (const r of checked.rejected) quality.badLabel(r.where, r.reason, r.detail);
      quality.goodLabels(checked.accepted);
      for (const [name, n] of Object.entries(checked.excluded)) excluded[name] = (excluded[name] ?? 0) + n;
      if (checked.sizeMismatch) options.onWarning?.(checked.sizeMismatch);
      const result = await detectInImage(detector, image, { confThreshold: conf, iouThreshold: iou!, maxDetections, multiLabel: true });
      time.preprocess += result.timings.preprocessMs;
      time.inference += result.timings.inferenceMs;
      time.postprocess += result.timings.postprocessMs;
      if (sample.background) background++;
      metrics.addImage(checked.groundTruth, result.detections);
      predictions?.add(sample.imageId, result.detections, categoryOf);
      truth?.add({ id: sample.imageId, fileName: relative(root, sample.imagePath), width: image.width, height: image.height }, checked.groundTruth, categoryOf);
      if (reference && fidelity) fidelity.add(result.output, await reference.run(result.tensor));
      evaluated++;
      options.onProgress?.(done, total);
    }
    quality.enforce();
    if (evaluated === 0) throw new EdgeoptError(`${dataPath}: none of the ${done} images could be used; see the warnings above`);
    const summary = metrics.result(detector.names);
    let savedJson: SavedJson | undefined;
    if (predictions && truth) {
      await predictions.commit();
      const categories = categoryOf.flatMap((id, c) => (id === undefined ? [] : [{ id, name: categoryName(c) }]));
      await truth.commit(categories);
      savedJson = { predictions: predictions.path, detections: predictions.written, groundTruth: truth.path, annotations: truth.annotationCount, unwritableDetections: predictions.unwritable };
    }
    return {
      schemaVersion: 1,
      model: detector.modelPath,
      dataset: dataPath,
      format: dataset.format,
      datasetDescription: describeDataset(dataset),
      layout: layout!,
      imgsz: [detector.width, detector.height],
      conf,
      iou: iou!,
      maxDetections,
      multiLabel: true,
      backgroundImages: background,
      dataQuality: quality.summary(),
      classes: { by: classes.by, unmatched: classes.unmatched, excluded, notes: classes.notes },
      ...summary,
      speedMs: { preprocess: time.preprocess / evaluated, inference: time.inference / evaluated, postprocess: time.postprocess / evaluated },
      ...(fidelity ? { fidelity: fidelity.result() } : {}),
      ...(savedJson ? { savedJson } : {}),
    };
  }

  /** A category's name in the written ground truth: the dataset's own name for COCO data, else the model's. */
  function categoryName(modelClass: number): string {
    const datasetClass = classes.toModel?.indexOf(modelClass);
    if (dataset.names && datasetClass !== undefined && datasetClass >= 0) return dataset.names[datasetClass]!;
    return detector.names?.[modelClass] ?? `class${modelClass}`;
  }
}
