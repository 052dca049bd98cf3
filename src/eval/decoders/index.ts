/**
 * The decoder registry: every family edgeopt can read, and the two things done with them — choosing a family
 * for a model's outputs (from a flag, stored metadata or the shapes, refusing to guess between several), and
 * decoding one image's outputs into detections (class-id mapping and NMS included). A new family is one file
 * and one line in `DECODERS`. Pure: the browser page decodes with this module.
 */
import { nonMaxSuppression } from '../nms.js';
import type { Box } from '../../image/letterbox.js';
import { CandidateList } from './candidates.js';
import { detr } from './detr.js';
import { end2end } from './end2end.js';
import { gfl } from './gfl.js';
import { DECODER_NAMES } from './names.js';
import { COMMON_PARAMS, param, parseDecoderFlag, type DecoderParams, type DecoderSpecText } from './params.js';
import { ssd } from './ssd.js';
import { EVIDENCE_RANK, type BoxSpace, type DecodeContext, type DecodeOptions, type DecoderFamily, type OutputSignature, type OutputTensor, type Recognition, type RecognitionContext } from './types.js';
import { ultralytics } from './ultralytics.js';
import { yoloAnchors } from './yolo-anchors.js';
import { yolov5 } from './yolov5.js';
import { yolox } from './yolox.js';

export const DECODERS: readonly DecoderFamily[] = [yolov5, ultralytics, yoloAnchors, yolox, gfl, ssd, end2end, detr];

// The names alone live in names.ts, so that the CLI can list them without loading the decoders.
export { DECODER_NAMES };

export function decoderNamed(name: string): DecoderFamily | undefined {
  return DECODERS.find((d) => d.name === name);
}

/** Parses `--decoder name,key=value,…` against the registry. */
export function parseDecoderSpec(text: string): DecoderSpecText {
  return parseDecoderFlag(text, (name) => decoderNamed(name)?.params, DECODER_NAMES);
}

export interface Detection {
  /** [x1, y1, x2, y2] in model-input pixels (or source pixels once mapped back). */
  box: Box;
  score: number;
  classId: number;
}

export interface DecoderRejection {
  family: string;
  reason: string;
  /** The shapes look like this family but it needs a parameter the file does not hold. */
  needs?: string;
}

export type DecoderChoice =
  | { kind: 'chosen'; family: DecoderFamily; params: DecoderParams; recognition: Extract<Recognition, { fits: true }> }
  | { kind: 'ambiguous'; candidates: Array<{ family: DecoderFamily; recognition: Extract<Recognition, { fits: true }> }>; needing: DecoderRejection[] }
  | { kind: 'none'; reasons: DecoderRejection[] };

/**
 * Picks the family for these outputs. With `requested` (a flag or stored contract) only that family is tried,
 * with its given parameters. Otherwise every family is asked; metadata evidence outranks shapes; two families
 * that fit equally well are reported as ambiguous, never resolved by a guess.
 */
export function chooseDecoder(outputs: readonly OutputSignature[], ctx: RecognitionContext, requested?: DecoderSpecText): DecoderChoice {
  if (requested) {
    const family = decoderNamed(requested.name);
    if (!family) return { kind: 'none', reasons: [{ family: requested.name, reason: `unknown decoder (known: ${DECODER_NAMES.join(', ')})` }] };
    const r = family.recognise(outputs, { ...ctx, requested: true }, requested.params);
    if (!r.fits) return { kind: 'none', reasons: [{ family: family.name, reason: r.reason, needs: r.needs }] };
    return { kind: 'chosen', family, params: { ...r.params, ...requested.params }, recognition: r };
  }
  const fits: Array<{ family: DecoderFamily; recognition: Extract<Recognition, { fits: true }> }> = [];
  const reasons: DecoderRejection[] = [];
  for (const family of DECODERS) {
    const r = family.recognise(outputs, ctx, {});
    if (r.fits) fits.push({ family, recognition: r });
    else reasons.push({ family: family.name, reason: r.reason, needs: r.needs });
  }
  const top = Math.max(...fits.map((f) => EVIDENCE_RANK[f.recognition.evidence]));
  const best = fits.filter((f) => EVIDENCE_RANK[f.recognition.evidence] === top);
  // A family that matches the shapes but lacks a parameter is as plausible as one that fits by shape alone.
  const needing = top === EVIDENCE_RANK.shape ? reasons.filter((r) => r.needs) : [];
  if (best.length === 1 && needing.length === 0) {
    return { kind: 'chosen', family: best[0]!.family, params: best[0]!.recognition.params, recognition: best[0]!.recognition };
  }
  if (best.length >= 1) return { kind: 'ambiguous', candidates: best, needing };
  return { kind: 'none', reasons };
}

/** The 80 COCO classes' category ids in the 91-id numbering (1-based, with gaps), index = contiguous class id. */
export const COCO91_IDS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79,
  80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
];
const COCO91_TO_80 = new Map(COCO91_IDS.map((id, i) => [id, i]));

/** Maps raw class ids to the dataset's (offset, COCO-91), dropping ids that map to nothing. */
function mapClasses(list: CandidateList, params: DecoderParams): CandidateList {
  const offset = param.number(params, 'class-offset') ?? 0;
  const coco91 = param.text(params, 'class-map') === 'coco91';
  if (offset === 0 && !coco91) return list;
  const keep: number[] = [];
  for (let i = 0; i < list.count; i++) {
    let id = list.classIds[i]! - offset;
    if (coco91) id = COCO91_TO_80.get(id) ?? -1;
    if (id < 0) continue;
    list.classIds[i] = id;
    keep.push(i);
  }
  return keep.length === list.count ? list : list.select(keep);
}

export const DEFAULT_MAX_DETECTIONS = 300;
const DEFAULT_MAX_CANDIDATES = 30_000;

export interface DecodedDetections {
  detections: Detection[];
  /** Whether the boxes are in model-input pixels (map back through the resize) or already in source pixels. */
  space: BoxSpace;
}

/** One image's outputs → detections sorted by score: family decode, class mapping, then NMS unless the graph did it. */
export function decodeOutputs(family: DecoderFamily, outputs: readonly OutputTensor[], params: DecoderParams, ctx: DecodeContext, options: DecodeOptions): DecodedDetections {
  const raw = new CandidateList();
  const space = family.decode(outputs, params, ctx, options, raw);
  const maxDetections = options.maxDetections ?? DEFAULT_MAX_DETECTIONS;
  const candidates = mapClasses(raw, params).truncate(options.maxCandidates ?? DEFAULT_MAX_CANDIDATES);
  const nms = param.bool(params, 'nms') ?? !family.nmsInside;
  const kept = nms
    ? nonMaxSuppression(candidates, { iouThreshold: options.iouThreshold, maxDetections, classAgnostic: options.classAgnostic ?? false })
    : Array.from({ length: candidates.count }, (_, i) => i).sort((i, j) => candidates.scores[j]! - candidates.scores[i]!).slice(0, maxDetections);
  const detections = kept.map((i) => ({
    box: [candidates.boxes[4 * i]!, candidates.boxes[4 * i + 1]!, candidates.boxes[4 * i + 2]!, candidates.boxes[4 * i + 3]!] as Box,
    score: candidates.scores[i]!,
    classId: candidates.classIds[i]!,
  }));
  return { detections, space };
}

export { COMMON_PARAMS, parseDecoderFlag };
export type { DecoderFamily, DecoderParams, DecodeOptions, OutputSignature, OutputTensor, RecognitionContext };
