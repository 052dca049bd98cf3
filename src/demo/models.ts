import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { contractSummary } from '../eval/contract/format.js';
import type { ContractFlags, ResolvedContract } from '../eval/contract/types.js';
import { decoderNamed } from '../eval/decoders/index.js';
import { openDetector } from '../eval/detector.js';
import { parseNamesMetadata } from '../eval/names.js';
import { getMetadata } from '../onnx/builder.js';
import { loadModel } from '../onnx/model-io.js';
import { DataType, type ValueInfoProto } from '../onnx/types.js';
import { readResults } from '../results/io.js';
import { EdgeoptError } from '../util/errors.js';
import { assertReadableFile } from '../util/fs.js';
import type { DemoModelInfo } from './api.js';

export type { DemoModelInfo } from './api.js';

/** A model the demo offers, as the user named it. */
export interface DemoModelSource {
  name: string;
  path: string;
}

export interface DemoModel extends DemoModelInfo {
  path: string;
}

function dims(info: ValueInfoProto | undefined): Array<number | null> {
  return (info?.type?.tensorType?.shape?.dim ?? []).map((d) => (typeof d.dimValue === 'number' && d.dimValue > 0 ? d.dimValue : null));
}

/**
 * Reads a model's IO signature, class names and contract (flags, then the contract the file carries, exporter
 * metadata, shapes — the sources detect/eval/run use, through the same openDetector, so a head whose output dims are
 * symbolic is recognised from one probe run as the CLI does). The page feeds and decodes by this contract.
 */
export async function describeDemoModel(source: DemoModelSource, index: number, contractFlags?: ContractFlags): Promise<DemoModel> {
  const sizeBytes = await assertReadableFile(source.path, 'model');
  const model = await loadModel(source.path);
  const graph = model.graph!;
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  const input = graph.input.find((i) => !initializerNames.has(i.name ?? ''));
  const output = graph.output[0];
  if (!input || !output) throw new EdgeoptError(`${source.path} has no image input or no output, so it is not a detector`);
  const detector = await openDetector(source.path, { contract: contractFlags, requireDecoder: false });
  await detector.release();
  const resolved = detector.resolved;
  const imageInput = graph.input.find((i) => i.name === resolved.contract.input.name) ?? input;
  const elemType = imageInput.type?.tensorType?.elemType;
  if (elemType !== DataType.FLOAT && elemType !== DataType.FLOAT16) {
    throw new EdgeoptError(`${source.path}: the demo needs a float32 or float16 image input, '${imageInput.name}' has element type ${elemType}`);
  }
  return {
    index,
    name: source.name,
    path: source.path,
    sizeBytes,
    inputName: imageInput.name ?? '',
    inputShape: dims(imageInput),
    inputType: elemType === DataType.FLOAT16 ? 'float16' : 'float32',
    outputName: output.name ?? '',
    outputShape: dims(output),
    classNames: resolved.contract.names ?? parseNamesMetadata(getMetadata(model)['names']) ?? [],
    contract: resolved.contract,
    contractSummary: contractSummary(resolved),
    ...withNote(pageDrawProblem(resolved)),
  };
}

/** Why the page cannot draw a model's detections (wrong boxes are worse than none), or undefined when it can. */
export function pageDrawProblem(resolved: ResolvedContract): string | undefined {
  const { decoder } = resolved.contract;
  if (!decoder) return `no decoder: ${resolved.decoderProblem}`;
  if (!decoderNamed(decoder.name)) return `the page has no decoder named ${decoder.name}`;
  return undefined;
}

const withNote = (note: string | undefined) => (note ? { detectionsNote: note } : {});

export function publicModelInfo(model: DemoModel): DemoModelInfo {
  const { path: _path, ...info } = model;
  return info;
}

/** Models named on the command line; names are the file names (made unique if two collide). */
export function modelSourcesFromPaths(paths: string[]): DemoModelSource[] {
  const seen = new Map<string, number>();
  return paths.map((path) => {
    const base = basename(path).replace(/\.onnx$/i, '');
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return { name: count === 1 ? base : `${base} (${count})`, path: resolve(path) };
  });
}

/**
 * The variants an `edgeopt run` folder produced, from its results.json (`variants: [{name, path}]`).
 * Relative paths (the run writes file names) are relative to the folder, so a moved folder still works.
 */
export async function modelSourcesFromRun(runDir: string): Promise<{ sources: DemoModelSource[]; resultsPath: string }> {
  const resultsPath = join(resolve(runDir), 'results.json');
  const results = await readResults(resultsPath);
  if (results.variants.length === 0) throw new EdgeoptError(`${resultsPath} lists no variants`);
  const sources = results.variants.map((v, i): DemoModelSource => {
    if (typeof v.path !== 'string' || v.path === '') throw new EdgeoptError(`${resultsPath}: variant ${i} has no model path`);
    return { name: v.name || basename(v.path), path: isAbsolute(v.path) ? v.path : join(dirname(resultsPath), v.path) };
  });
  return { sources, resultsPath };
}
