/**
 * When the contract does not fit (or the decoder is ambiguous), which flags to try — measured, not guessed:
 * the nearby contracts (colour order, scale, resize; the other decoders the shapes allow, with their usual
 * preprocessing) are each run on a few labelled images, and the ones whose output makes sense are named with
 * their mAP50 there. Nothing is applied: the user passes the flags, and the next run says where they came from.
 */
import { formatPreprocessField, type PreprocessKey } from '../image/preprocessing.js';
import type { DecodedRgb } from '../image/preprocess.js';
import { decoderFlagText } from './contract/resolve.js';
import type { ContractFlags, ResolvedContract } from './contract/types.js';
import { chooseDecoder } from './decoders/index.js';
import { modelSignature } from './contract/signature.js';
import { detectInImage, openDetector } from './detector.js';
import type { GroundTruth } from './map.js';
import { SanityAccumulator } from './sanity.js';
import { loadModel } from '../onnx/model-io.js';
import type { SessionConfig } from '../runtime/runtime.js';

export interface LabelledImage {
  image: DecodedRgb;
  groundTruth: GroundTruth[];
}

export interface Suggestion {
  /** The flags to pass, as text. */
  flags: string;
  map50: number;
}

/** Labelled images the alternatives are tried on (each alternative costs one inference per image). */
export const SUGGESTION_IMAGES = 8;

/** The contracts next to this one: one preprocessing field changed, or another decoder the shapes allow. */
async function alternatives(modelPath: string, resolved: ResolvedContract, flags: ContractFlags): Promise<ContractFlags[]> {
  const p = resolved.contract.input;
  const pre = flags.preprocess ?? {};
  const out: ContractFlags[] = [];
  const withPre = (change: Partial<typeof p>, decoder = flags.decoder) => out.push({ ...flags, decoder, preprocess: { ...pre, ...change } });
  const flipColor = p.color === 'rgb' ? 'bgr' : 'rgb';
  const flipScale = p.scale === 1 ? 1 / 255 : 1;
  withPre({ color: flipColor });
  withPre({ scale: flipScale, mean: [0, 0, 0], std: [1, 1, 1] });
  withPre({ color: flipColor, scale: flipScale, mean: [0, 0, 0], std: [1, 1, 1] });
  for (const resize of ['letterbox', 'stretch', 'letterbox-topleft'] as const) if (resize !== p.resize) withPre({ resize });
  // Other decoders the shapes allow, each with its family's usual preprocessing.
  const signature = modelSignature(await loadModel(modelPath));
  const ctx = { inputWidth: p.width, inputHeight: p.height, auxKinds: resolved.contract.aux.map((a) => a.kind), numClasses: resolved.contract.names?.length };
  const choice = chooseDecoder(signature.outputs, ctx);
  const others = choice.kind === 'ambiguous' ? choice.candidates : choice.kind === 'chosen' ? [choice] : [];
  for (const c of others) {
    if (c.family.name === resolved.contract.decoder?.name) continue;
    const { width, height } = p;
    out.push({ ...flags, decoder: { name: c.family.name, params: {} }, preprocess: { ...c.family.preprocess, ...(c.recognition.preprocess ?? {}), width, height } });
  }
  return out;
}

/** The flags of an alternative that differ from the contract it is an alternative to. */
function flagText(r: ResolvedContract, flags: ContractFlags, base: ResolvedContract): string {
  const parts: string[] = [];
  const keys = (Object.keys(flags.preprocess ?? {}).filter((k) => k !== 'width' && k !== 'height') as PreprocessKey[]).filter(
    (k) => formatPreprocessField(r.contract.input, k) !== formatPreprocessField(base.contract.input, k),
  );
  if (keys.length) parts.push(`--preprocess ${keys.map((k) => `${k}=${formatPreprocessField(r.contract.input, k)}`).join(',')}`);
  if (flags.decoder && r.contract.decoder) parts.push(`--decoder ${decoderFlagText({ name: r.contract.decoder.name, params: flags.decoder.params })}`);
  return parts.join(' ');
}

/**
 * Runs each alternative contract on the labelled images and returns those whose output passes the sanity
 * check, best mAP50 first. Alternatives that cannot even run are skipped.
 */
export async function suggestContracts(
  modelPath: string,
  resolved: ResolvedContract,
  flags: ContractFlags,
  images: readonly LabelledImage[],
  options: { session?: SessionConfig; iou?: number } = {},
): Promise<Suggestion[]> {
  const found: Suggestion[] = [];
  for (const alt of await alternatives(modelPath, resolved, flags)) {
    let detector;
    try {
      detector = await openDetector(modelPath, { contract: alt, session: options.session });
    } catch {
      continue;
    }
    try {
      const sanity = new SanityAccumulator();
      for (const { image, groundTruth } of images) {
        const r = await detectInImage(detector, image, { confThreshold: 0.001, iouThreshold: options.iou ?? detector.family!.validatorIou, multiLabel: true });
        const extent = r.decoded.space === 'input' ? { width: detector.width, height: detector.height } : { width: image.width, height: image.height };
        sanity.add({ outputs: r.outputs, detections: r.decoded.detections, extent, mapped: r.detections, groundTruth });
      }
      const verdict = sanity.verdict();
      if (verdict.fits) found.push({ flags: flagText(detector.resolved, alt, resolved), map50: verdict.evidence.map50 ?? 0 });
    } catch {
      // This alternative does not even decode these outputs: not a suggestion.
    } finally {
      await detector.release();
    }
  }
  return found.sort((a, b) => b.map50 - a.map50);
}

/** One line naming the flags to try (measured), or the generic advice when no nearby contract fits either. */
export function suggestionLine(suggestions: readonly Suggestion[], images: number): string {
  if (suggestions.length === 0) {
    return 'no nearby contract (colour order, scale, resize, the other decoders the shapes allow) fits either: give the model\'s preprocessing and decoder with --preprocess and --decoder (edgeopt inspect --decoders), or check that the dataset\'s classes are the model\'s';
  }
  const best = suggestions.slice(0, 2).map((s) => `${s.flags} (mAP50 ${(100 * s.map50).toFixed(1)} on ${images} labelled images)`);
  return `try ${best.join(', or ')}`;
}
