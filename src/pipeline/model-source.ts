import { basename, dirname, join } from 'node:path';
import { describeQuantization } from '../analyze/quantized.js';
import { convertFile } from '../convert/convert.js';
import { fetchOfficialModel, resolveModelSource, OFFICIAL_MODELS, type OfficialModelName } from '../convert/model-source.js';
import { CONTRACT_METADATA_KEY, contractMetadata } from '../eval/contract/stored.js';
import { resolveContract } from '../eval/contract/resolve.js';
import { modelSignature } from '../eval/contract/signature.js';
import type { ContractFlags, ResolvedContract } from '../eval/contract/types.js';
import { getMetadata, setMetadata } from '../onnx/builder.js';
import type { LoadedModel } from '../onnx/types.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import { buildDefaultModel } from '../models/defaults.js';
import { dequantizeModel } from '../quantize/dequantize/index.js';
import { BUILTIN_ARCHITECTURES, type BuiltinArchitecture } from '../models/zoo.js';
import type { ModelInfo } from '../results/schema.js';
import { sharedAsset } from '../util/assets.js';
import { EdgeoptError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';

/** The shared FP32 model of the study, used when no --model is given and ../shared is present. */
const SHARED_DEFAULT = ['models', 'yolov5nu_fp32.onnx'];

export interface PreparedModel {
  info: ModelInfo;
  /**
   * When `--model` was already quantized: the file as given (saved beside the baseline, measured as a variant of
   * its own), while the FP32 baseline is its dequantized rebuild.
   */
  original?: { file: string; description: string };
  /** Where accuracy can be measured by default (COCO models only), when the shared data is present. */
  defaultEvalData?: string;
  /** Images for static INT8 calibration by default, when the shared data is present. */
  defaultCalibData?: string;
  /** The model contract (flags, the file's metadata, the shapes), written into the prepared file too. */
  contract: ResolvedContract;
}

/**
 * Turns `--model` into an FP32 ONNX file at `outPath`: converts a .pt, copies an .onnx (after checking it
 * loads), builds the synthetic default, or fetches an official checkpoint into the cache when it can.
 */
export async function prepareModel(spec: string | undefined, outPath: string, progress: Progress, flags: ContractFlags = {}): Promise<PreparedModel> {
  const notes: string[] = [];
  let chosen = spec;
  if (chosen === undefined) {
    const shared = sharedAsset(...SHARED_DEFAULT);
    if (shared) {
      chosen = shared;
      notes.push(`No --model given: used the study's YOLOv5nu FP32 model from the shared assets (${shared}).`);
    } else {
      chosen = 'default';
      notes.push('No --model given and no shared assets here: used the built-in YOLOv5n with synthetic weights (latency only).');
    }
  }

  const builtin = /^(?:default|synthetic:(\w+))$/.exec(chosen);
  if (builtin) {
    const arch = (builtin[1] ?? 'yolov5n') as BuiltinArchitecture;
    if (!BUILTIN_ARCHITECTURES.includes(arch)) {
      throw new EdgeoptError(`unknown built-in model 'synthetic:${arch}' (choose ${BUILTIN_ARCHITECTURES.map((a) => `synthetic:${a}`).join(', ')})`);
    }
    progress.step(`building the built-in ${arch} (synthetic seeded weights)`);
    const built = buildDefaultModel(arch);
    const contract = resolveContract(modelSignature(built.model), flags);
    setMetadata(built.model, contractMetadata(contract));
    await saveModel(built.model, outPath);
    return {
      contract,
      info: { source: chosen, name: `${arch} (built-in, synthetic weights)`, family: built.info.family, synthetic: true, inputShape: [1, 3, ...built.info.imgsz], notes },
      defaultCalibData: sharedAsset('coco128', 'images'),
    };
  }

  let path = chosen;
  if (chosen in OFFICIAL_MODELS) {
    try {
      path = (resolveModelSource(chosen) as { path: string }).path;
    } catch {
      progress.step(`fetching the official ${chosen} checkpoint`);
      path = await fetchOfficialModel(chosen as OfficialModelName); // one line on failure: where to put the file
    }
  } else {
    resolveModelSource(chosen); // one-line errors for missing files and unknown kinds
  }

  let family: string | undefined;
  let prepared: LoadedModel;
  let contract: ResolvedContract | undefined;
  if (/\.(pt|pth)$/i.test(path)) {
    progress.step(`converting ${basename(path)} to ONNX`);
    const conversion = await convertFile(path, outPath, { stamp: (m) => contractMetadata(resolveContract(modelSignature(m), flags)) });
    prepared = conversion.model;
    family = conversion.info.family;
    notes.push(`Converted from ${basename(path)} by edgeopt in ${(conversion.info.seconds * 1000).toFixed(0)} ms (${conversion.info.architecture}, ${conversion.info.nc} classes).`);
  } else {
    // Re-saved through edgeopt's writer (not copied), which also proves the file is a loadable model.
    prepared = await loadModel(path);
    const quantized = describeQuantization(prepared.graph);
    if (quantized.schemes.length > 0) {
      // Never quantized twice: the variants start from the float model inside it, and the file itself is measured too.
      // Both files carry the contract resolved from the file as given (the rebuild has the same inputs and outputs).
      contract = resolveContract(modelSignature(prepared), flags);
      setMetadata(prepared, contractMetadata(contract));
      const file = 'model_original.onnx';
      await saveModel(prepared, join(dirname(outPath), file));
      prepared = dequantizeModel(prepared).model;
      setMetadata(prepared, contractMetadata(contract));
      await saveModel(prepared, outPath);
      notes.push(
        `${basename(path)} is already quantized (${quantized.description}): the FP32 baseline is its dequantized rebuild ` +
          `(weights (q − zero point) × scale, keeping their 8-bit rounding), every variant is built from that, and the file as given is the variant 'original'.`,
      );
      const info = { source: chosen, name: basename(path).replace(/\.onnx$/i, ''), notes };
      return { ...finish(prepared, info, family, contract), original: { file, description: `the model as given: ${quantized.description}` } };
    }
    contract = resolveContract(modelSignature(prepared), flags);
    setMetadata(prepared, contractMetadata(contract));
    await saveModel(prepared, outPath);
  }
  // For a converted checkpoint, the contract as resolved before edgeopt stamped it (so its sources read as such).
  if (!contract) {
    const signature = modelSignature(prepared);
    const { [CONTRACT_METADATA_KEY]: _stamped, ...metadata } = signature.metadata;
    contract = resolveContract({ ...signature, metadata }, flags);
  }
  return finish(prepared, { source: chosen, name: basename(path).replace(/\.(onnx|pt|pth)$/i, ''), notes }, family, contract);
}

/** Family, synthetic flag and default data of a prepared FP32 model, from its metadata and its contract. */
function finish(prepared: LoadedModel, info: { source: string; name: string; notes: string[] }, known: string | undefined, contract: ResolvedContract): PreparedModel {
  const metadata = getMetadata(prepared);
  const synthetic = metadata.edgeopt_synthetic === 'true';
  const family = known ?? metadata.edgeopt_family ?? contract.contract.decoder?.name;
  const classCount = contract.contract.names?.length ?? (contract.contract.decoder?.params.classes as number | undefined);
  const coco = classCount === 80;
  if (!coco) info.notes.push('The model does not say it is an 80-class COCO model: accuracy needs --eval with labelled images of its classes.');
  return {
    contract,
    info: { ...info, family, synthetic },
    defaultEvalData: coco && !synthetic ? sharedAsset('coco_val128') : undefined,
    defaultCalibData: sharedAsset('coco128', 'images'),
  };
}

