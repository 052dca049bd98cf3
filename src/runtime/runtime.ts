/**
 * The runtime seam: the one interface every stage that runs a model talks to (calibration, mixed precision,
 * the benchmark, diagnose, eval, detect and the browser demo), so that none of them branches on which engine
 * runs it. This file only declares; the implementations are `ort-node.ts` (onnxruntime-node, the CLI) and
 * `ort-web.ts` (onnxruntime-web, the demo page), both over the session adapter in `ort-session.ts`.
 * Pure types: the browser imports this module too.
 */

/** Every numeric element type onnxruntime's JavaScript API exchanges (strings are not read). */
export type TensorElementType =
  | 'float32' | 'float16' | 'float64'
  | 'int64' | 'int32' | 'int16' | 'int8'
  | 'uint64' | 'uint32' | 'uint16' | 'uint8'
  | 'bool';

export const TENSOR_ELEMENT_TYPES: readonly TensorElementType[] = [
  'float32', 'float16', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint64', 'uint32', 'uint16', 'uint8', 'bool',
];

export type TensorValues =
  | Float32Array | Float64Array
  | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint16Array | Uint8Array;

/** A plain tensor, independent of any runtime (Uint16Array holds float16 bits; Uint8Array holds bools). */
export interface PlainTensor {
  type: TensorElementType;
  dims: number[];
  data: TensorValues;
}

/** The element types a model input can be fed from JavaScript (onnxruntime-node and -web accept these). */
export type FeedElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

/** A plain tensor to feed a model input: calibration, detection, evaluation and fidelity all build these. */
export interface FeedTensor {
  type: FeedElementType;
  dims: number[];
  data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;
}

/** One sample's complete feeds: input name → tensor, for every input of the model. */
export type FeedRecord = Record<string, FeedTensor>;

/**
 * A model input or output as the runtime reports it. `type` is the engine's element type name ('float32',
 * 'string', … or 'non-tensor' for sequences and maps); symbolic dims are strings (the dim's name, or '?' when
 * the model leaves it unnamed).
 */
export interface TensorInfo {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/** Kept for the benchmark's input generator, which speaks of inputs. */
export type InputInfo = TensorInfo;

export interface FailedProvider {
  provider: string;
  reason: string;
}

/**
 * How to open a session. Every option is explicit so that a result can say exactly how it was produced.
 * Both implementations read the same record; where one of them cannot honour an option, its doc says so.
 */
export interface SessionConfig {
  /**
   * Execution providers to try in order, with an explicit fallback to the next (onnxruntime does not fall
   * back by itself). node: 'cpu', 'cuda', … (default ['cpu']); web: 'wasm', 'webgpu' (default ['wasm']).
   */
  providers?: string[];
  /** node: per session. web: onnxruntime-web's `env.wasm.numThreads`, read once when its wasm first loads. */
  intraOpThreads?: number;
  /** node only. */
  interOpThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  /** Whether idle intra-op worker threads spin (onnxruntime default) or sleep. node only. */
  allowSpinning?: boolean;
  /** Write a Chrome-trace profile with this prefix (flushed only by endProfiling/release). node only. */
  profileFilePrefix?: string;
  /** Save the graph onnxruntime actually runs (after fusions) to this path. node only. */
  optimizedModelFilePath?: string;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/**
 * Feeds converted once into the engine's own tensors: the benchmark times `runPrepared` on these, so no
 * conversion ever lands inside a timing. Valid only for the session that prepared them.
 */
export interface PreparedFeeds {
  readonly runtime: string;
  readonly names: readonly string[];
}

export interface RuntimeSession {
  /** The execution provider that actually loaded the model (after any explicit fallback). */
  readonly provider: string;
  /** Providers that were tried first and failed, with the reason: the fallback, recorded once, here. */
  readonly failedProviders: readonly FailedProvider[];
  /** The options handed to the engine, for provenance. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly createMs: number;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  prepareFeeds(tensors: Record<string, PlainTensor>): PreparedFeeds;
  /**
   * One inference. Returns the `fetches` outputs (default: every graph output) as plain tensors. Throws a
   * one-line EdgeoptError when the engine rejects the feeds or fails, or an output has an unsupported type.
   */
  run(feeds: Record<string, PlainTensor> | PreparedFeeds, fetches?: readonly string[]): Promise<Record<string, PlainTensor>>;
  /** One inference on prepared feeds, outputs dropped: the benchmark's timed call, with nothing else in it. */
  runPrepared(feeds: PreparedFeeds): Promise<void>;
  /** Flushes a profile started by `SessionConfig.profileFilePrefix`; returns the trace file when known. */
  endProfiling(): string | undefined;
  release(): Promise<void>;
}

export interface Runtime {
  /** e.g. 'onnxruntime-node' */
  readonly name: string;
  readonly version: string;
  /** Execution providers this build of the engine offers; which of them load a model depends on the machine. */
  supportedProviders(): string[];
  /** Opens a model file (node), URL (web) or the model's bytes, trying `config.providers` in order. */
  open(model: string | Uint8Array, config?: SessionConfig): Promise<RuntimeSession>;
}
