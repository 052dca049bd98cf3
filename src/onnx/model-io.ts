import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import protobuf from 'protobufjs';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { MAX_IR_VERSION, decodeOnnxChecked } from './model-header.js';
import { ONNX_PROTO_SCHEMA } from './schema.js';
import { DATA_LOCATION_EXTERNAL, type LoadedModel, type ModelProto, type TensorProto } from './types.js';

// int64 fields (dims, attribute ints, opset versions) decode as JS numbers rather than Long objects:
// every int64 an ONNX model carries in those fields is far below 2^53.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

const root = protobuf.parse(ONNX_PROTO_SCHEMA, { keepCase: false }).root;
const ModelType = root.lookupType('onnx.ModelProto');

// One limit for the full reader and the header reader (model-header.ts).
export { MAX_IR_VERSION };

/** Decodes ONNX bytes. External data, if any, is resolved relative to `baseDir` and read inline. */
export function decodeModel(bytes: Uint8Array, options: { baseDir?: string; source?: string } = {}): LoadedModel {
  const source = options.source ?? 'input';
  const model = decodeOnnxChecked(
    bytes,
    source,
    (b) => ModelType.decode(b) as unknown as ModelProto,
    (m) => m.graph!.node.length > 0 || m.graph!.output.length > 0,
  );
  const loaded = model as LoadedModel;
  if (hasExternalData(loaded)) {
    if (options.baseDir === undefined) {
      throw new EdgeoptError(`${source} stores tensors in external files; load it from a path so they can be found`);
    }
    inlineExternalData(loaded, options.baseDir, source);
  }
  return loaded;
}

export async function loadModel(path: string): Promise<LoadedModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new EdgeoptError(`cannot read model ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeError(err)}`);
  }
  return decodeModel(bytes, { baseDir: dirname(resolve(path)), source: path });
}

export function loadModelSync(path: string): LoadedModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new EdgeoptError(`cannot read model ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeError(err)}`);
  }
  return decodeModel(bytes, { baseDir: dirname(resolve(path)), source: path });
}

export function encodeModel(model: ModelProto): Uint8Array {
  const err = ModelType.verify(model);
  if (err) throw new EdgeoptError(`cannot encode model: ${err}`);
  return ModelType.encode(model as unknown as protobuf.Message).finish();
}

export interface SaveOptions {
  /**
   * Store initializers of at least `externalThreshold` bytes in this file (relative to the model's
   * directory), the ONNX external-data layout used for models over protobuf's 2 GB limit.
   */
  externalDataFile?: string;
  externalThreshold?: number;
}

/** Writes the model atomically; with `externalDataFile`, large tensors go to that side file. */
export async function saveModel(model: ModelProto, path: string, options: SaveOptions = {}): Promise<number> {
  if (!options.externalDataFile) {
    const bytes = encodeModel(model);
    await writeFileAtomic(path, bytes);
    return bytes.byteLength;
  }
  const location = options.externalDataFile;
  assertSafeLocation(location, path);
  const threshold = options.externalThreshold ?? 1024;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const graph = model.graph;
  const initializers = graph?.initializer.map((tensor) => {
    const raw = tensor.rawData;
    if (!raw || raw.byteLength < threshold) return tensor;
    // Align each tensor to 4 KiB like onnx's own writer, so the runtime can memory-map it.
    const padding = (4096 - (offset % 4096)) % 4096;
    if (padding) chunks.push(new Uint8Array(padding));
    offset += padding;
    chunks.push(raw);
    const entry: TensorProto = {
      ...tensor,
      rawData: undefined,
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    };
    offset += raw.byteLength;
    return entry;
  });
  const outModel: ModelProto = graph ? { ...model, graph: { ...graph, initializer: initializers ?? [] } } : model;
  const bytes = encodeModel(outModel);
  await writeFileAtomic(join(dirname(path), location), Buffer.concat(chunks));
  await writeFileAtomic(path, bytes);
  return bytes.byteLength + offset;
}

function hasExternalData(model: LoadedModel): boolean {
  return model.graph.initializer.some((t) => t.dataLocation === DATA_LOCATION_EXTERNAL);
}

/** External locations must stay inside the model's directory: a model file must not read /etc/passwd. */
function assertSafeLocation(location: string, modelPath: string): void {
  const rel = normalize(location);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new EdgeoptError(`external data location '${location}' of ${modelPath} leaves the model's directory`);
  }
}

function inlineExternalData(model: LoadedModel, baseDir: string, source: string): void {
  const files = new Map<string, Buffer>();
  for (const tensor of model.graph.initializer) {
    if (tensor.dataLocation !== DATA_LOCATION_EXTERNAL) continue;
    const info = new Map(tensor.externalData.map((e) => [e.key ?? '', e.value ?? '']));
    const location = info.get('location');
    if (!location) throw new EdgeoptError(`${source}: tensor '${tensor.name}' is external but names no location`);
    assertSafeLocation(location, source);
    let file = files.get(location);
    if (!file) {
      try {
        file = readFileSync(join(baseDir, location));
      } catch {
        throw new EdgeoptError(`${source}: external data file '${location}' for tensor '${tensor.name}' not found`);
      }
      files.set(location, file);
    }
    const offset = Number(info.get('offset') ?? 0);
    const length = info.has('length') ? Number(info.get('length')) : file.byteLength - offset;
    if (!(offset >= 0 && length >= 0 && offset + length <= file.byteLength)) {
      throw new EdgeoptError(`${source}: tensor '${tensor.name}' points outside its external data file '${location}'`);
    }
    tensor.rawData = file.subarray(offset, offset + length);
    tensor.dataLocation = 0;
    tensor.externalData = [];
  }
}
