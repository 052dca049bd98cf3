/**
 * The checks every format shares, made once the image is decoded and its size known: boxes of zero size,
 * boxes outside the image, class ids the model does not have, and duplicates (same class, same box). The result
 * is the image's ground truth in pixels and in the model's classes, plus what was rejected and why.
 */
import type { Box } from '../image/letterbox.js';
import type { ClassMapping } from './classes.js';
import type { DatasetSample, RejectedEntry } from './types.js';

export interface GroundTruthBox {
  classId: number;
  box: Box;
  /** COCO crowd region (ignored; IoU over the detection's area; matches any number of detections). */
  crowd?: boolean;
  /** Ignored region (VOC difficult): matched detections are neither true nor false positives. */
  ignore?: boolean;
}

export interface CheckedSample {
  groundTruth: GroundTruthBox[];
  rejected: RejectedEntry[];
  /** Boxes kept (good) and left out because their class is not the model's, by dataset class name. */
  accepted: number;
  excluded: Record<string, number>;
  /** Set when the annotations declare another image size than the decoded file has. */
  sizeMismatch?: string;
}

/** How far a box may reach past the image edge: 1 pixel, or 0.1% of the side for normalised labels. */
const PIXEL_SLACK = 1;
const NORMALISED_SLACK = 1e-3;

export function checkSample(
  sample: DatasetSample,
  image: { width: number; height: number },
  classes: ClassMapping,
  model: { numClasses?: number },
  datasetNames?: readonly string[],
): CheckedSample {
  const { width, height } = image;
  const sx = sample.normalized ? width : 1;
  const sy = sample.normalized ? height : 1;
  const slackX = sample.normalized ? NORMALISED_SLACK * width : PIXEL_SLACK;
  const slackY = sample.normalized ? NORMALISED_SLACK * height : PIXEL_SLACK;
  const groundTruth: GroundTruthBox[] = [];
  const kept: Array<{ classId: number; box: Box; where: string }> = [];
  const rejected: RejectedEntry[] = [...sample.rejected];
  const excluded: Record<string, number> = {};
  for (const b of sample.boxes) {
    const reject = (reason: string, detail: string) => rejected.push({ where: b.where, reason, detail });
    const box: Box = [b.box[0] * sx, b.box[1] * sy, b.box[2] * sx, b.box[3] * sy];
    if (!(box[2] > box[0]) || !(box[3] > box[1])) {
      reject('zero size', `box has zero or negative size (${fmtBox(box)} px)`);
      continue;
    }
    if (box[0] < -slackX || box[1] < -slackY || box[2] > width + slackX || box[3] > height + slackY) {
      reject('outside the image', `box ${fmtBox(box)} px reaches outside the ${width}x${height} image`);
      continue;
    }
    let classId: number | undefined = b.classId;
    if (classes.toModel) {
      if (b.classId >= classes.toModel.length) {
        reject('class id out of range', `class id ${b.classId}, but the dataset has ${classes.toModel.length} classes (0..${classes.toModel.length - 1})`);
        continue;
      }
      classId = classes.toModel[b.classId];
      if (classId === undefined) {
        const name = datasetNames?.[b.classId] ?? `class ${b.classId}`;
        excluded[name] = (excluded[name] ?? 0) + 1;
        continue;
      }
    } else if (model.numClasses !== undefined && b.classId >= model.numClasses) {
      reject('class id out of range', `class id ${b.classId}, but the model has ${model.numClasses} classes (0..${model.numClasses - 1})`);
      continue;
    }
    const twin = kept.find((k) => k.classId === classId && k.box.every((v, i) => Math.abs(v - box[i]!) < 1e-6));
    if (twin) {
      reject('duplicate', `same class and box as ${twin.where}`);
      continue;
    }
    kept.push({ classId, box, where: b.where });
    groundTruth.push({ classId, box, ...(b.crowd ? { crowd: true } : {}), ...(b.difficult ? { ignore: true } : {}) });
  }
  const declared = sample.declaredSize;
  const sizeMismatch =
    declared && (declared.width !== width || declared.height !== height)
      ? `${sample.imagePath}: the annotations say ${declared.width}x${declared.height}, the image is ${width}x${height}; boxes are used as given`
      : undefined;
  return { groundTruth, rejected, accepted: groundTruth.length, excluded, ...(sizeMismatch ? { sizeMismatch } : {}) };
}

function fmtBox(b: Box): string {
  return `[${b.map((v) => Math.round(v * 10) / 10).join(', ')}]`;
}
