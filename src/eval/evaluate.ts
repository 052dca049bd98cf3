/**
 * Accuracy of a detector on a YOLO-format dataset (COCO-style mAP), and optionally how faithfully it reproduces
 * an FP32 reference model's raw outputs and detections on the same images.
 */
import { decodeRgb, letterboxToTensor } from '../image/preprocess.js';
import { EdgeoptError } from '../util/errors.js';
import { decodeDetections, type Detection, type OutputLayout } from './decode.js';
import { detectInImage, openDetector, resolveLayout, type Detector, type RawOutput } from './detector.js';
import { iterateDataset, labelToBox, openYoloDataset } from './dataset.js';
import { MetricsAccumulator, type DetectionMetrics } from './map.js';
import { boxIou } from './nms.js';

/** NMS IoU of the official validators: YOLOv5's val.py uses 0.6, Ultralytics' DetectionValidator 0.7. */
export const VALIDATOR_IOU: Record<OutputLayout, number> = { yolov5: 0.6, ultralytics: 0.7 };
export const VALIDATOR_CONF = 0.001;
/** Thresholds used to compare detections with the reference model: what a user would see (predictor defaults). */
const AGREEMENT_CONF = 0.25;
const AGREEMENT_NMS_IOU = 0.45;
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
  onProgress?: (done: number, total: number) => void;
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
  layout: OutputLayout;
  imgsz: [number, number];
  conf: number;
  iou: number;
  maxDetections: number;
  multiLabel: true;
  /** Images without a label file (all their detections are false positives). */
  backgroundImages: number;
  /** Mean milliseconds per image. */
  speedMs: { preprocess: number; inference: number; postprocess: number };
  fidelity?: OutputFidelity;
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
    const options = { confThreshold: AGREEMENT_CONF, iouThreshold: AGREEMENT_NMS_IOU };
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

export async function evaluateModel(modelPath: string, dataDir: string, options: EvalOptions = {}): Promise<EvalResult> {
  const dataset = await openYoloDataset(dataDir);
  const detector = await openDetector(modelPath, { imgsz: options.imgsz, names: options.names });
  let reference: Detector | undefined;
  try {
    if (options.reference) reference = await openDetector(options.reference, { imgsz: options.imgsz });
    if (reference && (reference.width !== detector.width || reference.height !== detector.height)) {
      throw new EdgeoptError(`reference input ${reference.width}x${reference.height} differs from the model's ${detector.width}x${detector.height}`);
    }
    return await runEvaluation(detector, reference, dataset, dataDir, options);
  } finally {
    await detector.release();
    await reference?.release();
  }
}

async function runEvaluation(
  detector: Detector,
  reference: Detector | undefined,
  dataset: Awaited<ReturnType<typeof openYoloDataset>>,
  dataDir: string,
  options: EvalOptions,
): Promise<EvalResult> {
  const total = Math.min(dataset.images.length, options.maxImages ?? Infinity);
  const conf = options.conf ?? VALIDATOR_CONF;
  const maxDetections = options.maxDetections ?? 300;
  const metrics = new MetricsAccumulator();
  const fidelity = reference ? new FidelityAccumulator(reference.modelPath) : undefined;
  let layout: OutputLayout | undefined;
  let iou = options.iou;
  let background = 0;
  const time = { preprocess: 0, inference: 0, postprocess: 0 };
  let done = 0;
  for await (const sample of iterateDataset(dataset, { maxImages: options.maxImages })) {
    const image = await decodeRgb(sample.imagePath);
    if (layout === undefined) {
      // The NMS IoU default depends on the family, which the output shape reveals.
      layout = (await resolveLayout(detector, await letterboxToTensor(image, detector))).layout;
      iou ??= VALIDATOR_IOU[layout];
    }
    const result = await detectInImage(detector, image, { confThreshold: conf, iouThreshold: iou!, maxDetections, multiLabel: true });
    time.preprocess += result.timings.preprocessMs;
    time.inference += result.timings.inferenceMs;
    time.postprocess += result.timings.postprocessMs;
    if (!sample.labelPath) background++;
    const groundTruth = sample.labels.map((l) => ({ classId: l.classId, box: labelToBox(l, image.width, image.height) }));
    metrics.addImage(groundTruth, result.detections);
    if (reference && fidelity) fidelity.add(result.output, await reference.run(result.tensor));
    done++;
    options.onProgress?.(done, total);
  }
  const summary = metrics.result(detector.names);
  return {
    schemaVersion: 1,
    model: detector.modelPath,
    dataset: dataDir,
    layout: layout!,
    imgsz: [detector.width, detector.height],
    conf,
    iou: iou!,
    maxDetections,
    multiLabel: true,
    backgroundImages: background,
    ...summary,
    speedMs: { preprocess: time.preprocess / done, inference: time.inference / done, postprocess: time.postprocess / done },
    ...(fidelity ? { fidelity: fidelity.result() } : {}),
  };
}
