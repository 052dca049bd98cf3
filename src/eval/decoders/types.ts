/**
 * The decoder seam: one `DecoderFamily` per detector family (one file each, registered in `index.ts`). A family
 * says which output shapes it reads (from shapes alone: exporters misname outputs), the parameters it needs with
 * their defaults, the preprocessing its models are usually fed, and turns one image's outputs into candidate
 * boxes. Pure code without node imports: the browser page decodes with the same files.
 */
import type { ImagePreprocessing } from '../../image/preprocessing.js';
import type { CandidateList } from './candidates.js';
import type { DecoderParams, ParamSpecs } from './params.js';

/** Element data of an output as onnxruntime returns it (int64 as BigInt64Array). */
export type OutputData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | BigInt64Array;

export interface OutputTensor {
  name: string;
  dims: readonly number[];
  data: OutputData;
}

/** An output as the model declares it: dims undefined where symbolic. */
export interface OutputSignature {
  name: string;
  dims: ReadonlyArray<number | undefined>;
  /** 'float32', 'int64', … (when known). */
  type?: string;
}

/** What recognition may use besides the output shapes. */
export interface RecognitionContext {
  inputWidth: number;
  inputHeight: number;
  /** Class count from the class names (flags or metadata), when known. */
  numClasses?: number;
  /** Auxiliary inputs the model takes, by kind ('scale-factor', …): PaddleDetection exports are recognisable by them. */
  auxKinds: readonly string[];
  /** What exporter metadata says about the head, when anything. */
  exporter?: { tool: 'ultralytics' | 'yolov5'; end2end?: boolean };
  /** The family edgeopt itself recorded (converted models). */
  edgeoptFamily?: string;
  /** The user named this decoder (--decoder): forms that shapes alone cannot confirm are then accepted, with their assumptions said. */
  requested?: boolean;
}

/**
 * How sure a recognition is, strongest first: exporter or edgeopt metadata names the head; an input-name convention
 * (PaddleDetection's `scale_factor`) identifies the exporter; or only the output shapes fit.
 */
export type Evidence = 'metadata' | 'convention' | 'shape';

export const EVIDENCE_RANK: Record<Evidence, number> = { metadata: 2, convention: 1, shape: 0 };

export type Recognition =
  | {
      fits: true;
      /** Parameters implied by the shapes (and the given ones), complete enough to decode. */
      params: DecoderParams;
      /** Which variant of the family this is, in words ("per-stride NHWC maps, shared class scores"). */
      variant: string;
      evidence: Evidence;
      /** Preprocessing this variant's models are usually fed, overriding the family's defaults, and whose it is. */
      preprocess?: Partial<ImagePreprocessing>;
      preprocessBy?: string;
      /** Assumptions the shapes could not confirm (default anchors, …), said wherever the contract is shown. */
      assumptions?: string[];
      /** Parameters set to the family's defaults rather than read from the shapes. */
      defaulted?: string[];
    }
  | {
      fits: false;
      /** Why not, in one clause ("no output of shape [1,N,5+classes]"). */
      reason: string;
      /** The shapes look like this family, but a parameter must be given (e.g. anchors): said to the user as a hint. */
      needs?: string;
    };

export interface DecodeContext {
  inputWidth: number;
  inputHeight: number;
  numClasses?: number;
}

/** Thresholds of one decode. */
export interface DecodeOptions {
  /** Candidates need a score above this (0.25 for display, 0.001 for mAP). */
  confThreshold: number;
  /** NMS IoU threshold (0.45 for display; the family's validator value for mAP). */
  iouThreshold: number;
  maxDetections?: number;
  classAgnostic?: boolean;
  /** Every class above the threshold becomes a candidate, not only the best one (the validators do this). */
  multiLabel?: boolean;
  /** Candidates kept (by score) before NMS, as the validators' max_nms. */
  maxCandidates?: number;
  /** Class count from the model's metadata, to validate the layout. */
  numClasses?: number;
}

/** Where decoded boxes are: model-input pixels (the usual), or source-image pixels (graphs that undo the resize themselves). */
export type BoxSpace = 'input' | 'source';

export interface DecoderFamily {
  name: string;
  /** One line for `--help`, inspect and the README. */
  summary: string;
  params: ParamSpecs;
  /** Whether the model's graph already did NMS (end-to-end heads): then none runs after decoding unless nms=true. */
  nmsInside: boolean;
  /** NMS IoU of the family's official validator, for mAP. */
  validatorIou: number;
  /** The preprocessing this family's models are usually fed (before any recognised variant's own). */
  preprocess: Omit<ImagePreprocessing, 'width' | 'height'>;
  /** Whether this family can read outputs of these shapes, and with which parameters. `given` are the user's. */
  recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition;
  /** One image's outputs (all of them, in model order) → candidates; class ids before class-offset/class-map. */
  decode(outputs: readonly OutputTensor[], params: DecoderParams, ctx: DecodeContext, options: DecodeOptions, out: CandidateList): BoxSpace;
}
