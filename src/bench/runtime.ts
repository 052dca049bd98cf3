import type { SessionConfig } from './session.js';

/**
 * The one interface the benchmark, diagnose, eval and demo code talk to, so that none of them
 * branches on which inference engine runs the model. onnxruntime-node is the only implementation
 * today (src/bench/runtime-ort-node.ts); onnxruntime-web (wasm/webgpu) would be a second one.
 */
export type TensorElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TensorValues = Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** A plain tensor, independent of any runtime (Uint16Array holds float16 bits; Uint8Array holds bools). */
export interface PlainTensor {
  type: TensorElementType;
  dims: number[];
  data: TensorValues;
}

/** A model input as the runtime reports it; symbolic dims are strings. */
export interface InputInfo {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/** Feeds converted once into the runtime's own objects, so conversion never lands inside a timing. */
export interface PreparedFeeds {
  readonly runtime: string;
  readonly handle: unknown;
}

export interface RuntimeSession {
  /** The execution provider that actually loaded the model (after any explicit fallback). */
  readonly provider: string;
  readonly failedProviders: ReadonlyArray<{ provider: string; reason: string }>;
  /** The options handed to the engine, for provenance. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly createMs: number;
  readonly inputs: readonly InputInfo[];
  prepareFeeds(tensors: Record<string, PlainTensor>): PreparedFeeds;
  /** One inference; outputs are discarded (the benchmark only needs the time). */
  run(feeds: PreparedFeeds): Promise<void>;
  /** Flushes a profile started by `SessionConfig.profileFilePrefix`; returns the trace file when known. */
  endProfiling(): string | undefined;
  release(): Promise<void>;
}

export interface Runtime {
  /** e.g. 'onnxruntime-node' */
  readonly name: string;
  readonly version: string;
  open(modelPath: string, config: SessionConfig): Promise<RuntimeSession>;
}
