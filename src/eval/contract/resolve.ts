/**
 * Resolves a model's contract from its signature and the user's flags, field by field, in this order: flags; the
 * contract edgeopt stored in the file; exporter metadata (Ultralytics/YOLOv5 `imgsz`, `names`, `end2end`); input
 * naming conventions; the shapes, only where they are unambiguous; the decoder family's defaults. Where the
 * sources leave a choice open (two decoders fit the shapes equally), the contract says so instead of guessing.
 * Pure: no I/O.
 */
import { DEFAULT_INPUT_SIZE } from '../../image/input-size.js';
import { COCO_NAMES } from '../../models/coco-names.js';
import { PREPROCESS_KEYS, YOLO_PREPROCESSING, type ImagePreprocessing, type PreprocessKey } from '../../image/preprocessing.js';
import { chooseDecoder, DECODER_NAMES, decoderNamed } from '../decoders/index.js';
import { formatParamValue, type DecoderParams, type DecoderSpecText } from '../decoders/params.js';
import { shapeText } from '../decoders/tensor.js';
import type { RecognitionContext } from '../decoders/types.js';
import { parseNamesMetadata } from '../names.js';
import { readStoredContract, type StoredContract } from './stored.js';
import type { AuxInput, AuxKind, ContractFlags, FieldSource, ModelContract, ModelSignature, ResolvedContract } from './types.js';


/** Auxiliary inputs known by their exporter's name for them. */
const AUX_CONVENTIONS: Record<string, { kind: AuxKind; exporter: string }> = {
  scale_factor: { kind: 'scale-factor', exporter: 'PaddleDetection' },
  im_shape: { kind: 'input-size', exporter: 'PaddleDetection' },
  orig_target_sizes: { kind: 'image-size-wh', exporter: 'RT-DETR' },
};

type Exporter = NonNullable<RecognitionContext['exporter']>;

/** Which exporter wrote the metadata, when it says. */
export function exporterOf(metadata: Record<string, string>): Exporter | undefined {
  const end2end = metadata.end2end === 'True' || metadata.end2end === 'true';
  if (metadata.author === 'Ultralytics' || /ultralytics/i.test(metadata.description ?? '')) return { tool: 'ultralytics', end2end };
  // YOLOv5's export.py writes exactly `stride` and `names`.
  if (metadata.stride !== undefined && metadata.names !== undefined && metadata.author === undefined) return { tool: 'yolov5' };
  return undefined;
}

function imgszOf(metadata: Record<string, string>): { width: number; height: number } | undefined {
  const numbers = (metadata.imgsz ?? '').match(/\d+/g)?.map(Number);
  if (!numbers || numbers.length === 0 || numbers.some((n) => !(n > 0))) return undefined;
  // Ultralytics writes [h, w].
  return { height: numbers[0]!, width: numbers[1] ?? numbers[0]! };
}

const isImageLike = (dims: ReadonlyArray<number | undefined>) => dims.length === 4 && (dims[1] === 3 || dims[3] === 3);

const stored = (origin: FieldSource | undefined): FieldSource => ({ kind: 'edgeopt', origin });

export function resolveContract(signature: ModelSignature, flags: ContractFlags = {}): ResolvedContract {
  const sources: Record<string, FieldSource> = {};
  const assumptions: string[] = [];
  const problems: string[] = [];
  const { stored: saved, problem: storedProblem } = readStoredContract(signature.metadata);
  if (storedProblem) assumptions.push(storedProblem);
  const exporter = exporterOf(signature.metadata);
  const exporterName = exporter?.tool === 'ultralytics' ? 'Ultralytics' : 'YOLOv5';

  // The image input.
  const savedInput = saved && signature.inputs.find((i) => i.name === saved.contract.input.name);
  const image = savedInput ?? signature.inputs.find((i) => isImageLike(i.dims) && i.type !== 'int64');
  if (!image) {
    const shapes = signature.inputs.map((i) => `${i.name} ${shapeText(i.dims)}`).join(', ');
    problems.push(`no input is an image tensor [N,3,H,W] or [N,H,W,3] (inputs: ${shapes || 'none'})`);
  }
  const inputDims = image?.dims ?? [1, 3, undefined, undefined];
  sources.input = savedInput ? stored(saved.sources.input) : { kind: 'shape', detail: 'the image-shaped input' };

  // Layout, then size (which axes hold it depends on the layout).
  const pre = flags.preprocess ?? {};
  let layout: ImagePreprocessing['layout'];
  if (pre.layout) [layout, sources.layout] = [pre.layout, { kind: 'flag', detail: '--preprocess' }];
  else if (saved) [layout, sources.layout] = [saved.contract.input.layout, stored(saved.sources.layout)];
  else if (inputDims[1] === 3) [layout, sources.layout] = ['nchw', { kind: 'shape', detail: `input ${shapeText(inputDims)}` }];
  else if (inputDims[3] === 3) [layout, sources.layout] = ['nhwc', { kind: 'shape', detail: `input ${shapeText(inputDims)}` }];
  else [layout, sources.layout] = ['nchw', { kind: 'default' }];
  const [hDim, wDim] = layout === 'nchw' ? [inputDims[2], inputDims[3]] : [inputDims[1], inputDims[2]];
  const fixed = typeof hDim === 'number' && typeof wDim === 'number' && hDim > 0 && wDim > 0 ? { width: wDim, height: hDim } : undefined;
  let size: { width: number; height: number };
  if (pre.width !== undefined && pre.height !== undefined) {
    size = { width: pre.width, height: pre.height };
    sources.size = { kind: 'flag', detail: '--preprocess size' };
    if (fixed && (fixed.width !== size.width || fixed.height !== size.height)) {
      problems.push(`the model's input is fixed at ${fixed.width}x${fixed.height}; size ${size.width}x${size.height} cannot be used with it`);
    }
  } else if (fixed) [size, sources.size] = [fixed, { kind: 'shape', detail: `input ${shapeText(inputDims)}` }];
  else if (saved) [size, sources.size] = [{ width: saved.contract.input.width, height: saved.contract.input.height }, stored(saved.sources.size)];
  else if (imgszOf(signature.metadata)) [size, sources.size] = [imgszOf(signature.metadata)!, { kind: 'exporter', detail: 'imgsz metadata' }];
  else {
    [size, sources.size] = [{ width: DEFAULT_INPUT_SIZE, height: DEFAULT_INPUT_SIZE }, { kind: 'default' }];
    assumptions.push(`input size is symbolic and no metadata gives it: ${DEFAULT_INPUT_SIZE}x${DEFAULT_INPUT_SIZE} assumed (pass --preprocess size=…)`);
  }

  // Auxiliary inputs.
  const aux: AuxInput[] = [];
  for (const input of signature.inputs) {
    if (input === image) continue;
    const dims = input.dims.map((d) => d ?? 1);
    const savedAux = saved?.contract.aux.find((a) => a.name === input.name);
    const convention = AUX_CONVENTIONS[input.name];
    let kind: AuxKind | undefined;
    if (flags.aux?.[input.name]) [kind, sources[`aux.${input.name}`]] = [flags.aux[input.name], { kind: 'flag', detail: '--aux-input' }];
    else if (savedAux) [kind, sources[`aux.${input.name}`]] = [savedAux.kind, stored(saved!.sources[`aux.${input.name}`])];
    else if (convention) [kind, sources[`aux.${input.name}`]] = [convention.kind, { kind: 'convention', detail: `${convention.exporter}'s input name` }];
    if (kind) aux.push({ name: input.name, kind, type: input.type, dims });
    else problems.push(`input '${input.name}' ${shapeText(input.dims)} is not the image and edgeopt does not know what it holds: pass --aux-input ${input.name}=scale-factor|input-size|image-size|image-size-wh|const:<v1>:<v2>…`);
  }
  for (const name of Object.keys(flags.aux ?? {})) {
    if (!signature.inputs.some((i) => i.name === name && i !== image)) problems.push(`--aux-input ${name}: the model has no such auxiliary input`);
  }

  // Class names (the decoder's recognition checks class counts against them).
  let names: string[] | undefined;
  const metadataNames = parseNamesMetadata(signature.metadata.names);
  if (flags.names) [names, sources.names] = [flags.names, { kind: 'flag', detail: '--classes' }];
  else if (saved?.contract.names) [names, sources.names] = [saved.contract.names, stored(saved.sources.names)];
  else if (metadataNames) [names, sources.names] = [metadataNames, { kind: 'exporter', detail: 'names metadata' }];

  // The decoder.
  const ctx: RecognitionContext = {
    inputWidth: size.width,
    inputHeight: size.height,
    numClasses: names?.length,
    auxKinds: aux.map((a) => a.kind),
    exporter,
    edgeoptFamily: signature.metadata.edgeopt_family,
  };
  const outputs = signature.outputs;
  const requested: DecoderSpecText | undefined = flags.decoder
    ? { name: flags.decoder.name, params: { ...(saved?.contract.decoder?.name === flags.decoder.name ? saved.contract.decoder.params : {}), ...flags.decoder.params } }
    : saved?.contract.decoder;
  const choice = chooseDecoder(outputs, ctx, requested);
  let decoder: ModelContract['decoder'];
  let decoderProblem: string | undefined;
  let decoderVariant: string | undefined;
  let familyPreprocess: Partial<ImagePreprocessing> | undefined;
  let variantPreprocess: { values: Partial<ImagePreprocessing>; source: FieldSource } | undefined;
  const outputShapes = outputs.map((o) => shapeText(o.dims)).join(' + ');
  if (choice.kind === 'chosen') {
    const params: DecoderParams = choice.params;
    decoder = { name: choice.family.name, params };
    decoderVariant = choice.recognition.variant;
    assumptions.push(...(choice.recognition.assumptions ?? []));
    const fromFlag = flags.decoder !== undefined;
    if (fromFlag) sources.decoder = { kind: 'flag', detail: '--decoder' };
    else if (saved?.contract.decoder) sources.decoder = stored(saved.sources.decoder);
    else if (choice.recognition.evidence === 'metadata') sources.decoder = { kind: 'exporter', detail: `${exporter ? exporterName : 'edgeopt'} metadata and output shapes` };
    else if (choice.recognition.evidence === 'convention') sources.decoder = { kind: 'convention', detail: 'input names and output shapes' };
    else sources.decoder = { kind: 'shape', detail: `output shapes ${outputShapes}` };
    for (const key of Object.keys(params)) {
      if (flags.decoder?.params[key] !== undefined) sources[`decoder.${key}`] = { kind: 'flag', detail: '--decoder' };
      else if (saved?.contract.decoder?.params[key] !== undefined && saved.contract.decoder.name === choice.family.name) sources[`decoder.${key}`] = stored(saved.sources[`decoder.${key}`]);
      else if (choice.recognition.defaulted?.includes(key)) sources[`decoder.${key}`] = { kind: 'family', detail: `${choice.family.name} defaults` };
      else sources[`decoder.${key}`] = { kind: 'shape', detail: 'output shapes' };
    }
    familyPreprocess = choice.family.preprocess;
    if (choice.recognition.preprocess) {
      variantPreprocess = {
        values: choice.recognition.preprocess,
        source: { kind: choice.recognition.evidence === 'convention' ? 'convention' : 'family', detail: choice.recognition.preprocessBy ?? choice.recognition.variant },
      };
    }
  } else if (choice.kind === 'ambiguous') {
    const fits = choice.candidates.map((c) => `${c.family.name} (${c.recognition.variant})`);
    const needing = choice.needing.map((n) => `${n.family} (needs ${n.needs})`);
    const options = [...choice.candidates.map((c) => `--decoder ${c.family.name}`), ...choice.needing.map((n) => `--decoder ${n.family},…`)];
    decoderProblem = `outputs ${outputShapes} are ambiguous: they fit ${[...fits, ...needing].join(' and ')}; edgeopt will not guess: pass ${options.join(' or ')}`;
  } else if (requested) {
    const r = choice.reasons[0]!;
    decoderProblem = `--decoder ${requested.name} does not fit this model: ${r.reason}${r.needs ? `; it needs ${r.needs}` : ''}`;
    if (!flags.decoder) decoderProblem = `the stored contract's decoder ${requested.name} no longer fits: ${r.reason}`;
  } else {
    const needing = choice.reasons.filter((r) => r.needs);
    decoderProblem = needing.length
      ? `outputs ${outputShapes} look like ${needing.map((n) => n.family).join(' or ')}, which needs ${needing.map((n) => n.needs).join('; ')}`
      : `no known decoder reads outputs ${outputShapes}: pass --decoder <${DECODER_NAMES.join('|')}>[,key=value…] (edgeopt inspect --decoders lists the keys)`;
  }

  // Preprocessing, field by field.
  const input = { ...YOLO_PREPROCESSING, ...size, layout } as ImagePreprocessing;
  const savedPre = saved?.contract.input;
  for (const key of PREPROCESS_KEYS as readonly PreprocessKey[]) {
    if (key === 'size' || key === 'layout') continue;
    const k = key as Exclude<PreprocessKey, 'size' | 'layout'>;
    if (pre[k] !== undefined) [input[k] as unknown, sources[k]] = [pre[k], { kind: 'flag', detail: '--preprocess' }];
    else if (savedPre) [input[k] as unknown, sources[k]] = [savedPre[k], stored(saved!.sources[k])];
    else if (exporter) [input[k] as unknown, sources[k]] = [YOLO_PREPROCESSING[k], { kind: 'exporter', detail: `${exporterName} predictor's preprocessing` }];
    else if (variantPreprocess?.values[k] !== undefined) [input[k] as unknown, sources[k]] = [variantPreprocess.values[k], variantPreprocess.source];
    else if (familyPreprocess?.[k] !== undefined) [input[k] as unknown, sources[k]] = [familyPreprocess[k], { kind: 'family', detail: `${decoder!.name} defaults` }];
    else [input[k] as unknown, sources[k]] = [YOLO_PREPROCESSING[k], { kind: 'default', detail: 'YOLO preprocessing' }];
  }

  // Names for display when the model is COCO-sized and says nothing else.
  const classCount = decoder ? (decoder.params.classes as number | undefined) : undefined;
  if (!names && classCount === 80) {
    names = [...COCO_NAMES];
    sources.names = { kind: 'default', detail: '80 classes' };
    assumptions.push('80 classes and no names: COCO class order assumed');
  }

  const contract: ModelContract = {
    input: { ...input, name: image?.name ?? '', type: image?.type ?? 'float32' },
    aux,
    ...(decoder ? { decoder } : {}),
    ...(names ? { names } : {}),
  };
  return {
    contract,
    sources,
    decoderProblem,
    feedProblem: problems.length ? problems.join('; ') : undefined,
    assumptions: [...new Set([...(saved?.assumptions ?? []), ...assumptions])],
    decoderVariant,
  };
}

/** The decoder as `--decoder` text (paste it back to reproduce). */
export function decoderFlagText(decoder: NonNullable<ModelContract['decoder']>): string {
  const family = decoderNamed(decoder.name);
  const keys = Object.keys(decoder.params).filter((k) => family === undefined || k in family.params || ['classes', 'class-offset', 'class-map', 'nms'].includes(k));
  return [decoder.name, ...keys.map((k) => `${k}=${formatParamValue(decoder.params[k]!)}`)].join(',');
}

export type { StoredContract };
