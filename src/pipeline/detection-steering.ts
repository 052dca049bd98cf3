import { resolveContract } from '../eval/contract/resolve.js';
import { modelSignature, withRunDims } from '../eval/contract/signature.js';
import type { ContractFlags } from '../eval/contract/types.js';
import { DISPLAY_THRESHOLDS } from '../eval/decode.js';
import { decodeOutputs, decoderNamed, type Detection } from '../eval/decoders/index.js';
import { IouSweepAccumulator } from '../eval/fidelity.js';
import { SanityAccumulator } from '../eval/sanity.js';
import type { LoadedModel } from '../onnx/types.js';
import type { PlainOutput } from '../quantize/outputs.js';
import { describeError } from '../util/errors.js';

/**
 * The search's detection-agreement steering: FP32's and a candidate's outputs on the held-out images decoded
 * with the model's resolved contract and decoder (the code `edgeopt detect` and eval use), and the candidate's
 * detections matched against FP32's over IoU 0.5:0.95. Output SQNR treats every value alike; what a detector's
 * user loses is detections and box precision, which is what this measures. When no decoder fits, or FP32's own
 * detections on these images give nothing trustworthy to compare with, there is no agreement figure — only the
 * reason, and the search steers on SQNR.
 */
export interface DetectionSteering {
  /** What is compared, in words (for the progress line). */
  description: string;
  /** Streams a candidate's outputs, image by image, to its F1 against FP32's detections averaged over IoU 0.5:0.95. */
  agreement(): { add(image: number, outputs: readonly PlainOutput[]): void; f1(): number };
}

/** Fewest FP32 detections on the held-out images for an F1 to mean something (one object more or less moves it). */
export const MIN_STEERING_DETECTIONS = 20;

/**
 * Both sides are decoded at a score threshold below the display one (0.25), with the display NMS: 16 held-out
 * images hold few detections at 0.25, and an F1 over few detections is mostly the luck of which ones sit at the
 * threshold. Measured on 16 YOLOv5nu INT8 variants: F1 at 0.1 on the 16 held-out images ranked them like F1 on
 * the 128 eval images did (Spearman 0.77), F1 at 0.25 hardly (0.37).
 */
export const STEERING_CONF = 0.1;
const THRESHOLDS = { confThreshold: STEERING_CONF, iouThreshold: DISPLAY_THRESHOLDS.iouThreshold };

export function detectionSteering(model: LoadedModel, reference: readonly PlainOutput[][], flags: ContractFlags = {}): DetectionSteering | { reason: string } {
  if (reference.length === 0) return { reason: 'no held-out images to compare detections on' };
  // Symbolic output dims (NMS inside) resolve from what FP32 returned on the first image, as openDetector does.
  const resolved = resolveContract(withRunDims(modelSignature(model), reference[0]!.map((o) => o.dims)), flags);
  const decoder = resolved.contract.decoder;
  const family = decoder ? decoderNamed(decoder.name) : undefined;
  if (!decoder || !family) return { reason: `no decoder fits its outputs (${resolved.decoderProblem ?? 'unknown head'})` };
  const { width, height } = resolved.contract.input;
  const context = { inputWidth: width, inputHeight: height, numClasses: resolved.contract.names?.length };
  const decode = (outputs: readonly PlainOutput[]) => decodeOutputs(family, outputs, decoder.params, context, THRESHOLDS);
  const fp32: Detection[][] = [];
  const sanity = new SanityAccumulator();
  try {
    for (const outputs of reference) {
      const decoded = decode(outputs);
      // Boxes in source pixels need each image's size, which the steering feeds do not keep.
      if (decoded.space !== 'input') return { reason: `its ${decoder.name} head returns boxes in source-image pixels, and the held-out feeds do not record image sizes` };
      sanity.add({ outputs, detections: decoded.detections, extent: { width, height }, mapped: decoded.detections });
      fp32.push(decoded.detections);
    }
  } catch (err) {
    return { reason: `FP32's outputs do not decode as ${decoder.name}: ${describeError(err)}` };
  }
  const verdict = sanity.verdict();
  if (!verdict.fits) return { reason: `FP32's ${decoder.name} detections do not look like detections (${verdict.reason})` };
  const count = fp32.reduce((a, d) => a + d.length, 0);
  if (count < MIN_STEERING_DETECTIONS) {
    return { reason: `FP32 finds ${count} detection(s) scoring ${THRESHOLDS.confThreshold} or more on the ${reference.length} held-out images, fewer than the ${MIN_STEERING_DETECTIONS} an F1 needs` };
  }
  return {
    description: `detection agreement with FP32 (${decoder.name} decoder, F1 over IoU 0.5:0.95 at score ≥ ${STEERING_CONF}, ${count} FP32 detections on ${reference.length} held-out images)`,
    agreement() {
      const acc = new IouSweepAccumulator();
      return {
        add: (image, outputs) => acc.add(fp32[image] ?? [], decode(outputs).detections),
        f1: () => acc.result().f1,
      };
    },
  };
}

/**
 * F1 as a steering figure in dB, −10·log10(1 − F1): the disagreement's share on a log scale, like SQNR's noise,
 * so that the search's thresholds (a gain of 0.05 dB is a gain) mean a relative change in either metric.
 * Capped at 60 dB (F1 = 1: identical detections).
 */
export function agreementDb(f1: number): number {
  const miss = 1 - f1;
  return miss <= 1e-6 ? 60 : Math.min(60, -10 * Math.log10(miss));
}
