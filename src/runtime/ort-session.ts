/**
 * The session adapter both implementations share: onnxruntime-node and onnxruntime-web expose the same
 * JavaScript API (onnxruntime-common's InferenceSession and Tensor), so one class turns either into a
 * `RuntimeSession`; `ort-node.ts` and `ort-web.ts` only bind their package and the options it honours.
 * No package import here (the browser loads this module as it is): the API is described structurally.
 */
import { EdgeoptError, describeError } from '../util/errors.js';
import { openWithFallback } from './providers.js';
import {
  TENSOR_ELEMENT_TYPES,
  type PlainTensor,
  type PreparedFeeds,
  type RuntimeSession,
  type SessionConfig,
  type TensorElementType,
  type TensorInfo,
  type TensorValues,
} from './runtime.js';
import type { OrtSessionOptions } from './session-options.js';
import { announceProviderFallback } from './fallback.js';

/** The parts of an onnxruntime Tensor edgeopt reads. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

interface OrtValueMetadataLike {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

export type OrtFeeds = Record<string, OrtTensorLike>;

/** The parts of an onnxruntime InferenceSession edgeopt uses. */
export interface OrtInferenceSessionLike {
  readonly inputMetadata: readonly OrtValueMetadataLike[];
  readonly outputMetadata: readonly OrtValueMetadataLike[];
  run(feeds: OrtFeeds): Promise<Record<string, OrtTensorLike>>;
  run(feeds: OrtFeeds, fetches: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  endProfiling(): unknown;
  release(): Promise<void>;
}

/** An onnxruntime JavaScript package (onnxruntime-node or onnxruntime-web), as far as edgeopt uses it. */
export interface OrtApi {
  InferenceSession: { create(model: string | Uint8Array, options: OrtSessionOptions): Promise<OrtInferenceSessionLike> };
  Tensor: new (type: TensorElementType, data: TensorValues, dims: readonly number[]) => OrtTensorLike;
}

const MAX_DIM = 2 ** 31 - 1;

/** Dims as the engine reports them, with unnamed dynamic dims as '?' (node says '', web 2^32-1). */
function normalizeShape(shape: ReadonlyArray<number | string> | undefined): Array<number | string> {
  return (shape ?? []).map((d) => (d === '' || (typeof d === 'number' && (d < 0 || d > MAX_DIM)) ? '?' : d));
}

function tensorInfo(meta: OrtValueMetadataLike): TensorInfo {
  return meta.isTensor
    ? { name: meta.name, type: meta.type ?? 'unknown', shape: normalizeShape(meta.shape) }
    : { name: meta.name, type: 'non-tensor', shape: [] };
}

function isElementType(type: string): type is TensorElementType {
  return (TENSOR_ELEMENT_TYPES as readonly string[]).includes(type);
}

/** An engine tensor as a plain one, without copying (float16 data from a Float16Array is viewed as its bits). */
export function toPlainTensor(name: string, tensor: OrtTensorLike): PlainTensor {
  if (!isElementType(tensor.type)) {
    throw new EdgeoptError(`output '${name}' is a ${tensor.type} tensor, which edgeopt does not read (supported: ${TENSOR_ELEMENT_TYPES.join(', ')})`);
  }
  let data = tensor.data as TensorValues;
  if (tensor.type === 'float16' && !(data instanceof Uint16Array)) {
    const view = data as unknown as ArrayBufferView & { length: number };
    data = new Uint16Array(view.buffer, view.byteOffset, view.length);
  }
  return { type: tensor.type, dims: [...tensor.dims], data };
}

export class OrtPreparedFeeds implements PreparedFeeds {
  readonly names: readonly string[];
  constructor(
    readonly runtime: string,
    readonly owner: OrtSession,
    readonly native: OrtFeeds,
  ) {
    this.names = Object.keys(native);
  }
}

export class OrtSession implements RuntimeSession {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];

  constructor(
    private readonly api: OrtApi,
    /** The engine's own session (the harness-overhead check times it bare, beside `runPrepared`). */
    readonly native: OrtInferenceSessionLike,
    readonly runtimeName: string,
    /** The model as messages name it (its path, or 'model' for bytes). */
    readonly label: string,
    readonly provider: string,
    readonly failedProviders: ReadonlyArray<{ provider: string; reason: string }>,
    readonly options: Readonly<Record<string, unknown>>,
    readonly createMs: number,
  ) {
    this.inputs = native.inputMetadata.map(tensorInfo);
    this.outputs = native.outputMetadata.map(tensorInfo);
  }

  prepareFeeds(tensors: Record<string, PlainTensor>): OrtPreparedFeeds {
    const native: OrtFeeds = {};
    for (const [name, tensor] of Object.entries(tensors)) {
      try {
        // onnxruntime takes Uint8Array for bool tensors and Uint16Array bits for float16, as PlainTensor holds them.
        native[name] = new this.api.Tensor(tensor.type, tensor.data, tensor.dims);
      } catch (err) {
        throw new EdgeoptError(`input '${name}' [${tensor.dims.join(',')}] ${tensor.type}: ${describeError(err)}`);
      }
    }
    return new OrtPreparedFeeds(this.runtimeName, this, native);
  }

  async run(feeds: Record<string, PlainTensor> | PreparedFeeds, fetches?: readonly string[]): Promise<Record<string, PlainTensor>> {
    const native = feeds instanceof OrtPreparedFeeds ? this.own(feeds).native : this.prepareFeeds(feeds as Record<string, PlainTensor>).native;
    let outputs: Record<string, OrtTensorLike>;
    try {
      outputs = fetches ? await this.native.run(native, fetches) : await this.native.run(native);
    } catch (err) {
      throw new EdgeoptError(`onnxruntime failed to run ${this.label}: ${describeError(err)}`);
    }
    const plain: Record<string, PlainTensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) plain[name] = toPlainTensor(name, tensor);
    return plain;
  }

  async runPrepared(feeds: PreparedFeeds): Promise<void> {
    await this.native.run(this.own(feeds).native);
  }

  private own(feeds: PreparedFeeds): OrtPreparedFeeds {
    if (!(feeds instanceof OrtPreparedFeeds) || feeds.owner !== this) {
      throw new EdgeoptError(`feeds prepared by another session cannot run ${this.label}`);
    }
    return feeds;
  }

  endProfiling(): string | undefined {
    // onnxruntime-node flushes the trace here but does not return its file name (the caller lists the
    // profile directory instead).
    const result = this.native.endProfiling();
    return typeof result === 'string' ? result : undefined;
  }

  release(): Promise<void> {
    return this.native.release();
  }
}

export interface OpenOrtOptions {
  api: OrtApi;
  runtimeName: string;
  /** The engine as error messages name it. */
  engine: string;
  defaultProviders: readonly string[];
  /** The engine options for one provider attempt (each implementation drops what it cannot honour). */
  sessionOptions: (config: SessionConfig, provider: string) => OrtSessionOptions;
}

/** Opens a session with explicit provider fallback and wraps it; the one session factory of both runtimes. */
export async function openOrtSession(model: string | Uint8Array, config: SessionConfig, how: OpenOrtOptions): Promise<OrtSession> {
  const providers = config.providers?.length ? config.providers : how.defaultProviders;
  const label = typeof model === 'string' ? model : 'model';
  let createMs = 0;
  let options: OrtSessionOptions | undefined;
  const { opened, provider, failedProviders } = await openWithFallback(providers, label, how.engine, async (p) => {
    options = how.sessionOptions(config, p);
    const start = performance.now();
    const session = await how.api.InferenceSession.create(model, options);
    createMs = performance.now() - start;
    return session;
  });
  const recorded = JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
  announceProviderFallback({ label: basenameOf(label), provider, failedProviders });
  return new OrtSession(how.api, opened, how.runtimeName, label, provider, failedProviders, recorded, createMs);
}

/** The file name of a path or URL (no node:path: this module also runs in the browser). */
function basenameOf(label: string): string {
  return label.split(/[\\/]/).pop() || label;
}

