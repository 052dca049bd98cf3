/**
 * Accuracy of a detector on a dataset in any supported format (COCO-style mAP), and optionally how faithfully it
 * reproduces an FP32 reference model's raw outputs and detections on the same images. Bad images and labels are
 * skipped, named and counted; the evaluation fails only when more than `maxBad` of them are bad.
 */
import { dirname, relative } from 'node:path';
import { describeQuantization } from '../analyze/quantized.js';
import { loadModel } from '../onnx/model-io.js';
import { describeDataset, openDataset } from '../datasets/registry.js';
import { mapClasses } from '../datasets/classes.js';
import type { Dataset, DatasetFormat } from '../datasets/types.js';
import { checkSample } from '../datasets/validate.js';
import { decodeRgb, unreadableImage, type DecodedRgb } from '../image/preprocess.js';
import { DataQuality, type DataQualitySummary } from '../util/data-quality.js';
import { EdgeoptError } from '../util/errors.js';
import { CocoGroundTruthWriter, CocoResultsWriter, categoryIdsForModel, groundTruthPathFor } from './coco-results.js';
import type { SessionConfig } from '../runtime/runtime.js';
import { DISPLAY_THRESHOLDS, type Detection } from './decode.js';
import { contractFeeds } from './contract/feeds.js';
import { contractSummary, describeSource } from './contract/format.js';
import type { ContractFlags } from './contract/types.js';
import { param } from './decoders/params.js';
import { decodeRun, detectInImage, openDetector, outputMismatch, type Detector } from './detector.js';
import { FidelityAccumulator, type FidelityResult } from './fidelity.js';
import { MetricsAccumulator, type DetectionMetrics, type GroundTruth } from './map.js';
import { SANITY_IMAGES, SanityAccumulator, type SanityVerdict } from './sanity.js';
import { suggestContracts, suggestionLine, SUGGESTION_IMAGES, type LabelledImage } from './suggest.js';

export const VALIDATOR_CONF = 0.001;
/** Thresholds used to compare detections with the reference model: what a user would see (predictor defaults). */
export const AGREEMENT_CONF = DISPLAY_THRESHOLDS.confThreshold;
export const AGREEMENT_NMS_IOU = DISPLAY_THRESHOLDS.iouThreshold;

/**
 * The FP32 output did not make sense on the labelled images under this contract: any mAP would be a wrong number,
 * so none is reported. Carries the check and the flags to try.
 */
export class ContractMismatchError extends EdgeoptError {
  constructor(
    readonly check: SanityVerdict,
    readonly suggestion: string,
    model: string,
    /** How the model is quantized, when it is: then quantization may be what broke the output, not the contract. */
    quantized?: string,
  ) {
    super(
      quantized
        ? `${model}: the decoded output makes no sense (${check.reason}), so accuracy is not measured; the model is quantized (${quantized}): eval its FP32 model with the same flags first — if that passes, quantization broke this one (compare them with --reference); else ${suggestion}`
        : `${model}: the model contract does not fit this model (${check.reason}), so accuracy is not measured; ${suggestion}`,
      { exitCode: 3 },
    );
  }
}

/** No decoder fits the outputs (ambiguous or unknown), with the decoders the labelled images support, measured. */
export class NoDecoderError extends EdgeoptError {
  constructor(
    readonly problem: string,
    /** 'try --decoder … (mAP50 … on 8 labelled images)', or undefined when nothing was measured to fit. */
    readonly suggestion: string | undefined,
    model: string,
  ) {
    super(`${model}: ${problem}${suggestion ? `; ${suggestion}` : ''}`);
  }
}

export interface EvalOptions {
  /** `--preprocess`, `--decoder`, `--aux-input` as parsed flags (the rest from the model's contract). */
  contract?: ContractFlags;
  /** Check that the decoded FP32 output makes sense on the first labelled images before reporting accuracy (default true). */
  check?: boolean;
  session?: SessionConfig;
  imgsz?: number;
  /** Confidence threshold (default 0.001, as the validators). */
  conf?: number;
  /** NMS IoU (default: the decoder family's validator value, e.g. 0.6 YOLOv5, 0.7 Ultralytics). */
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
  /** Each evaluated image's ground truth and detections, in dataset order (paired comparisons of two models). */
  onImage?: (imagePath: string, groundTruth: readonly GroundTruth[], detections: readonly Detection[]) => void;
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
  /** Cosine similarity of the raw output values over all images: the worst output's (per output in `outputs`). */
  cosine: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** The worst output's SQNR in dB (null: identical). */
  sqnrDb: number | null;
  /** Share of the reference's detections (conf 0.25) that this model also finds: same class, IoU ≥ 0.5 (when a decoder fits). */
  detectionAgreement?: number;
  /** F1 of this model's detections against the reference's (when a decoder fits). */
  detectionF1?: number;
  referenceDetections?: number;
  matchedDetections?: number;
  /** Detections this model makes at conf 0.25 (to spot extra boxes that agreement alone would miss). */
  modelDetections?: number;
  outputs: FidelityResult['outputs'];
}

/** The eval-level view of a fidelity result. */
export function toOutputFidelity(r: FidelityResult): OutputFidelity {
  const meanAbs = r.outputs.length ? Math.max(...r.outputs.map((o) => o.meanAbsDiff)) : Number.NaN;
  const d = r.detections;
  return {
    reference: r.reference,
    images: r.images,
    cosine: r.worst.cosine,
    maxAbsDiff: r.worst.maxAbsDiff,
    meanAbsDiff: meanAbs,
    sqnrDb: r.worst.sqnrDb,
    ...(d ? { detectionAgreement: d.recall, detectionF1: d.f1, referenceDetections: d.referenceDetections, matchedDetections: d.matched, modelDetections: d.variantDetections } : {}),
    outputs: r.outputs,
  };
}

export interface EvalResult extends DetectionMetrics {
  schemaVersion: 1;
  model: string;
  dataset: string;
  format: DatasetFormat;
  /** The line that says what the dataset is (format, images, labels). */
  datasetDescription: string;
  /** The decoder family that read the outputs (the older name: layout). */
  decoder: string;
  layout: string;
  /** The contract as flags, and where each field came from. */
  contract: { summary: string; sources: Record<string, string>; assumptions: string[] };
  /** The FP32 sanity check on the first labelled images (it passed, or there would be no result). */
  check?: SanityVerdict;
  imgsz: [number, number];
  conf: number;
  iou: number;
  /** Whether edgeopt ran NMS after decoding (false: the model has NMS inside, and `iou` was not used). */
  nmsAfterDecoding: boolean;
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

export async function evaluateModel(modelPath: string, dataPath: string, options: EvalOptions = {}): Promise<EvalResult> {
  const dataset = await openDataset(dataPath, { images: options.images, split: 'val' });
  options.onDataset?.(describeDataset(dataset));
  const detector = await openDetector(modelPath, { contract: options.contract, imgsz: options.imgsz, names: options.names, session: options.session, requireDecoder: false });
  if (!detector.contract.decoder) {
    // No decoder (ambiguous or unknown): say which decoders the labelled images support, measured, and stop.
    try {
      const kept = await firstLabelledImages(dataset, SUGGESTION_IMAGES);
      const suggestions = options.check === false || kept.length === 0 ? [] : await suggestContracts(modelPath, detector.resolved, options.contract ?? {}, kept, { session: options.session });
      throw new NoDecoderError(detector.resolved.decoderProblem ?? 'no decoder fits the outputs', suggestions.length ? suggestionLine(suggestions, kept.length) : undefined, modelPath);
    } finally {
      await detector.release();
    }
  }
  let reference: Detector | undefined;
  try {
    if (options.reference) reference = await openDetector(options.reference, { contract: options.contract, imgsz: options.imgsz, session: options.session, requireDecoder: false });
    if (reference && (reference.width !== detector.width || reference.height !== detector.height)) {
      throw new EdgeoptError(`reference input ${reference.width}x${reference.height} differs from the model's ${detector.width}x${detector.height}`);
    }
    const mismatch = reference && outputMismatch(detector, reference);
    if (mismatch) throw new EdgeoptError(mismatch);
    return await runEvaluation(detector, reference, dataset, dataPath, options);
  } finally {
    await detector.release();
    await reference?.release();
  }
}

/** The first labelled images of a dataset that decode, with their ground truth in pixels (for suggestions). */
async function firstLabelledImages(dataset: Dataset, count: number): Promise<LabelledImage[]> {
  const classes = mapClasses(dataset, {});
  const out: LabelledImage[] = [];
  for await (const sample of dataset.samples({ maxImages: count * 2 })) {
    if (out.length >= count) break;
    if (sample.problem || sample.background) continue;
    const decoded = await decodeDatasetImage(sample.imagePath);
    if ('detail' in decoded) continue;
    out.push({ image: decoded, groundTruth: checkSample(sample, decoded, classes, {}, dataset.names).groundTruth });
  }
  return out;
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
  const fidelity = reference ? new FidelityAccumulator(reference.modelPath, AGREEMENT_CONF) : undefined;
  const sanity = options.check === false ? undefined : new SanityAccumulator();
  const kept: LabelledImage[] = [];
  let verdict: SanityVerdict | undefined;
  const quality = new DataQuality({ maxBad: options.maxBad, strict: options.strict, onWarning: options.onWarning, what: dataPath, labelUnit: dataset.labelUnit });
  // Class names are compared before anything is evaluated, so a mismatch is said first, not found afterwards.
  const modelClasses = (detector.contract.decoder?.params.classes as number | undefined) ?? detector.names?.length;
  const classes = mapClasses(dataset, { names: detector.names, numClasses: modelClasses });
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
    let numClasses = modelClasses;
    let started = false;
    const iou = options.iou ?? detector.family!.validatorIou;
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
      if (!started) {
        started = true;
        if (numClasses === undefined && dataset.names) {
          // End-to-end outputs do not show the class count: the dataset's is assumed, and said.
          numClasses = dataset.names.length;
          options.onWarning?.(`the model does not say how many classes it has: the dataset's ${numClasses} are assumed`);
        }
        numClasses ??= 80;
        const cocoCategories = dataset.categoryIds && classes.toModel ? { toModel: classes.toModel, categoryIds: dataset.categoryIds } : undefined;
        categoryOf = categoryIdsForModel(detector.names, numClasses, cocoCategories);
      }
      const checked = checkSample(sample, image, classes, { numClasses }, dataset.names);
      for (const r of checked.rejected) quality.badLabel(r.where, r.reason, r.detail);
      quality.goodLabels(checked.accepted);
      for (const [name, n] of Object.entries(checked.excluded)) excluded[name] = (excluded[name] ?? 0) + n;
      if (checked.sizeMismatch) options.onWarning?.(checked.sizeMismatch);
      const result = await detectInImage(detector, image, { confThreshold: conf, iouThreshold: iou, maxDetections, multiLabel: true });
      if (sanity && !verdict) {
        const extent = result.decoded.space === 'input' ? { width: detector.width, height: detector.height } : { width: image.width, height: image.height };
        sanity.add({ outputs: result.outputs, detections: result.decoded.detections, extent, mapped: result.detections, groundTruth: checked.groundTruth });
        if (kept.length < SUGGESTION_IMAGES) kept.push({ image, groundTruth: checked.groundTruth });
        if (evaluated + 1 === SANITY_IMAGES) verdict = await judge();
      }
      time.preprocess += result.timings.preprocessMs;
      time.inference += result.timings.inferenceMs;
      time.postprocess += result.timings.postprocessMs;
      if (sample.background) background++;
      metrics.addImage(checked.groundTruth, result.detections);
      options.onImage?.(sample.imagePath, checked.groundTruth, result.detections);
      predictions?.add(sample.imageId, result.detections, categoryOf);
      truth?.add({ id: sample.imageId, fileName: relative(root, sample.imagePath), width: image.width, height: image.height }, checked.groundTruth, categoryOf);
      if (reference && fidelity) {
        const refOutputs = await reference.run(contractFeeds(reference.contract, result.tensor));
        const decodedBoth = reference.family && detector.family
          ? {
              variant: decodeRun(detector, result, { confThreshold: AGREEMENT_CONF, iouThreshold: AGREEMENT_NMS_IOU }).detections,
              reference: decodeRun(reference, { ...result, outputs: refOutputs }, { confThreshold: AGREEMENT_CONF, iouThreshold: AGREEMENT_NMS_IOU }).detections,
            }
          : undefined;
        fidelity.add(result.outputs, refOutputs, decodedBoth);
      }
      evaluated++;
      options.onProgress?.(done, total);
    }
    quality.enforce();
    if (evaluated === 0) throw new EdgeoptError(`${dataPath}: none of the ${done} images could be used; see the warnings above`);
    if (sanity && !verdict) verdict = await judge();
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
      decoder: detector.contract.decoder!.name,
      layout: detector.contract.decoder!.name,
      contract: contractRecordOf(detector),
      ...(verdict ? { check: verdict } : {}),
      imgsz: [detector.width, detector.height],
      conf,
      iou,
      nmsAfterDecoding: param.bool(detector.contract.decoder!.params, 'nms') ?? !detector.family!.nmsInside,
      maxDetections,
      multiLabel: true,
      backgroundImages: background,
      dataQuality: quality.summary(),
      classes: { by: classes.by, unmatched: classes.unmatched, excluded, notes: classes.notes },
      ...summary,
      speedMs: { preprocess: time.preprocess / evaluated, inference: time.inference / evaluated, postprocess: time.postprocess / evaluated },
      ...(fidelity ? { fidelity: toOutputFidelity(fidelity.result()) } : {}),
      ...(savedJson ? { savedJson } : {}),
    };
  }

  /** The sanity verdict; throws (no accuracy) when the contract does not fit, naming measured alternatives. */
  async function judge(): Promise<SanityVerdict> {
    const v = sanity!.verdict();
    if (v.fits) return v;
    const suggestions = await suggestContracts(detector.modelPath, detector.resolved, options.contract ?? {}, kept, { session: options.session });
    const quantization = describeQuantization((await loadModel(detector.modelPath)).graph);
    throw new ContractMismatchError(v, suggestionLine(suggestions, kept.length), detector.modelPath, quantization.schemes.length ? quantization.description : undefined);
  }

  /** A category's name in the written ground truth: the dataset's own name for COCO data, else the model's. */
  function categoryName(modelClass: number): string {
    const datasetClass = classes.toModel?.indexOf(modelClass);
    if (dataset.names && datasetClass !== undefined && datasetClass >= 0) return dataset.names[datasetClass]!;
    return detector.names?.[modelClass] ?? `class${modelClass}`;
  }
}

/** The contract a detector used, as results record it. */
export function contractRecordOf(detector: Detector): { summary: string; decoder?: string; decoderProblem?: string; sources: Record<string, string>; assumptions: string[] } {
  const r = detector.resolved;
  return {
    summary: contractSummary(r),
    ...(r.contract.decoder ? { decoder: r.contract.decoder.name } : {}),
    ...(r.decoderProblem ? { decoderProblem: r.decoderProblem } : {}),
    sources: Object.fromEntries(Object.entries(r.sources).map(([k, v]) => [k, describeSource(v)])),
    assumptions: r.assumptions,
  };
}
