/**
 * Fidelity of a variant against its FP32 reference on real images, for any model: both run on the same feeds
 * (the reference's contract preprocesses each image once); every output is compared; when a decoder fits, the
 * detections too. Images stream one at a time: memory does not grow with their number.
 */
import type { SessionConfig } from '../runtime/runtime.js';
import { decodeRgb } from '../image/preprocess.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { contractFeeds } from './contract/feeds.js';
import { DISPLAY_THRESHOLDS } from './decode.js';
import type { ContractFlags } from './contract/types.js';
import { decodeRun, openDetector, outputMismatch, runOnImage } from './detector.js';
import { FidelityAccumulator, type FidelityResult } from './fidelity.js';
import { SanityAccumulator } from './sanity.js';

/** Display thresholds both sides are decoded at for detection agreement (what a user would see). */
const AGREEMENT = { confThreshold: DISPLAY_THRESHOLDS.confThreshold, iouThreshold: DISPLAY_THRESHOLDS.iouThreshold };

export interface FidelityRunOptions {
  contract?: ContractFlags;
  session?: SessionConfig;
  /** Compare detections too when a decoder fits (default true; false when the contract was found not to fit). */
  decode?: boolean;
  /** One line per image that could not be read (skipped). */
  onWarning?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
}

export async function measureFidelity(modelPath: string, referencePath: string, images: readonly string[], options: FidelityRunOptions = {}): Promise<FidelityResult> {
  if (images.length === 0) throw new EdgeoptError('fidelity needs at least one image');
  const reference = await openDetector(referencePath, { contract: options.contract, session: options.session, requireDecoder: false });
  try {
    const model = await openDetector(modelPath, { contract: options.contract, session: options.session, requireDecoder: false });
    try {
      if (model.width !== reference.width || model.height !== reference.height) {
        throw new EdgeoptError(`${modelPath} takes ${model.width}x${model.height} images, its reference ${reference.width}x${reference.height}`);
      }
      const mismatch = outputMismatch(model, reference);
      if (mismatch) throw new EdgeoptError(mismatch);
      const decodable = (options.decode ?? true) && model.family !== undefined && reference.family !== undefined;
      const acc = new FidelityAccumulator(referencePath, AGREEMENT.confThreshold);
      // Without labels, the reference's detections must at least look like detections for agreement to mean anything.
      const sanity = decodable ? new SanityAccumulator() : undefined;
      let done = 0;
      for (const file of images) {
        let image;
        try {
          image = await decodeRgb(file);
        } catch (err) {
          options.onWarning?.(`fidelity: skipped ${file}: ${describeError(err)}`);
          continue;
        }
        const ref = await runOnImage(reference, image);
        const outputs = await model.run(contractFeeds(model.contract, ref.tensor));
        const detections = decodable
          ? { reference: decodeRun(reference, ref, AGREEMENT).detections, variant: decodeRun(model, { ...ref, outputs }, AGREEMENT).detections }
          : undefined;
        if (detections && sanity) {
          const decoded = decodeRun(reference, ref, AGREEMENT).decoded;
          const extent = decoded.space === 'input' ? { width: reference.width, height: reference.height } : { width: image.width, height: image.height };
          sanity.add({ outputs: ref.outputs, detections: decoded.detections, extent, mapped: detections.reference });
        }
        acc.add(outputs, ref.outputs, detections);
        options.onProgress?.(++done, images.length);
      }
      if (done === 0) throw new EdgeoptError(`fidelity: none of the ${images.length} images could be read`);
      const result = acc.result();
      const verdict = sanity?.verdict();
      if (verdict && !verdict.fits) {
        const { detections: _dropped, ...rest } = result;
        return { ...rest, detectionsNote: `detection agreement not reported: the FP32 detections do not look like detections under this contract (${verdict.reason})` };
      }
      return result;
    } finally {
      await model.release();
    }
  } finally {
    await reference.release();
  }
}
