/**
 * The model contract: how to feed a detector and how to read it, written once and carried with the model
 * (edgeopt stores it in the ONNX metadata of every file it writes). Every field records where it came from,
 * so that `edgeopt inspect` and the report can say which values were given, read, inferred or assumed.
 */
import type { ImagePreprocessing, PreprocessOverrides } from '../../image/preprocessing.js';
import type { DecoderParams, DecoderSpecText } from '../decoders/params.js';

/**
 * What an auxiliary input (besides the image) holds, per image:
 * - `scale-factor`: [input_h / image_h, input_w / image_w] (PaddleDetection's `scale_factor`);
 * - `input-size`: [input_h, input_w] (PaddleDetection's `im_shape`);
 * - `image-size`: [image_h, image_w];
 * - `image-size-wh`: [image_w, image_h] (RT-DETR's `orig_target_sizes`);
 * - `const:v1:v2:…`: fixed values.
 */
export type AuxKind = 'scale-factor' | 'input-size' | 'image-size' | 'image-size-wh' | `const:${string}`;
export const AUX_KINDS = ['scale-factor', 'input-size', 'image-size', 'image-size-wh', 'const:<v1>:<v2>…'] as const;

export interface AuxInput {
  name: string;
  kind: AuxKind;
  /** Element type the model declares ('float32', 'int64', 'int32'). */
  type: string;
  /** Declared dims with symbolic ones as 1 (one image). */
  dims: number[];
}

export interface ModelContract {
  /** The image input: its name and element type, and the preprocessing that fills it. */
  input: ImagePreprocessing & { name: string; type: string };
  aux: AuxInput[];
  /** The output decoder; undefined when none fits (see `ResolvedContract.decoderProblem`). */
  decoder?: { name: string; params: DecoderParams };
  names?: string[];
}

/**
 * Where a field came from, strongest first: a flag; the contract edgeopt stored in the file; the exporter's
 * metadata (Ultralytics `imgsz`/`names`); a naming convention (PaddleDetection inputs); the model's shapes;
 * the decoder family's documented defaults; edgeopt's own default when nothing says.
 */
export type SourceKind = 'flag' | 'edgeopt' | 'exporter' | 'convention' | 'shape' | 'family' | 'default';

export interface FieldSource {
  kind: SourceKind;
  /** Which flag, metadata key, shape or family, in a few words. */
  detail?: string;
  /** For `edgeopt`: where the value came from when the contract was first written. */
  origin?: FieldSource;
}

/** Field names in display order; decoder parameters are `decoder.<key>` and auxiliary inputs `aux.<name>`. */
export const CONTRACT_FIELDS = ['input', 'size', 'resize', 'pad', 'color', 'scale', 'mean', 'std', 'layout', 'decoder', 'names'] as const;

export interface ResolvedContract {
  contract: ModelContract;
  sources: Record<string, FieldSource>;
  /** Why there is no decoder (ambiguous shapes, nothing fits, a parameter missing) and which flag to pass; one line. */
  decoderProblem?: string;
  /** Why images cannot be fed at all (an input nobody knows how to fill); one line. */
  feedProblem?: string;
  /** Assumptions the sources could not confirm (default anchors, COCO names for 80 classes, …). */
  assumptions: string[];
  /** How the decoder's family recognised the outputs, in words. */
  decoderVariant?: string;
}

/** What the user passed (`--preprocess`, `--decoder`, `--aux-input`, `--classes`, `--imgsz`). */
export interface ContractFlags {
  preprocess?: PreprocessOverrides;
  decoder?: DecoderSpecText;
  aux?: Record<string, AuxKind>;
  names?: string[];
}

/** The model's inputs, outputs and metadata: everything the contract is resolved from. */
export interface ModelSignature {
  inputs: Array<{ name: string; dims: ReadonlyArray<number | undefined>; type: string }>;
  outputs: Array<{ name: string; dims: ReadonlyArray<number | undefined>; type: string }>;
  metadata: Record<string, string>;
}
