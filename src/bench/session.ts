import * as ort from 'onnxruntime-node';
import { EdgeoptError, describeError } from '../util/errors.js';

/**
 * The one place edgeopt opens onnxruntime sessions. Every option is explicit so that a result can
 * say exactly how it was produced; the benchmark, diagnose, eval and calibration code all come here.
 */
export interface SessionConfig {
  /** Execution providers to try in order; onnxruntime-node does not fall back by itself. */
  providers?: string[];
  intraOpThreads?: number;
  interOpThreads?: number;
  executionMode?: 'sequential' | 'parallel';
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  /** Whether idle intra-op worker threads spin (onnxruntime default) or sleep. */
  allowSpinning?: boolean;
  /** Write a Chrome-trace profile with this prefix (flushed only by endProfiling/release). */
  profileFilePrefix?: string;
  /** Save the graph onnxruntime actually runs (after fusions) to this path. */
  optimizedModelFilePath?: string;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Execution providers onnxruntime-node knows by name (which ones load depends on the build and machine). */
export const KNOWN_PROVIDERS = ['cpu', 'cuda', 'tensorrt', 'dml', 'webgpu', 'coreml', 'qnn', 'xnnpack', 'openvino', 'rocm', 'migraphx', 'nnapi'] as const;

/** Parses a --providers list ('cuda,cpu'): tried in this order, with an explicit fallback to the next. */
export function parseProviders(value: string): string[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new EdgeoptError('--providers needs at least one execution provider, e.g. cpu');
  const unknown = names.filter((n) => !(KNOWN_PROVIDERS as readonly string[]).includes(n));
  if (unknown.length) throw new EdgeoptError(`unknown execution provider(s) ${unknown.join(', ')} (known: ${KNOWN_PROVIDERS.join(', ')})`);
  return [...new Set(names)];
}

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider that actually loaded the model (after any explicit fallback). */
  provider: string;
  /** Providers that were tried and failed, with the reason. */
  failedProviders: Array<{ provider: string; reason: string }>;
  /** The options passed to onnxruntime, for provenance. */
  options: ort.InferenceSession.SessionOptions;
  createMs: number;
}

export function toSessionOptions(config: SessionConfig, provider: string): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: config.graphOptimizationLevel ?? 'all',
    logSeverityLevel: config.logSeverityLevel ?? 3,
  };
  if (config.intraOpThreads !== undefined) options.intraOpNumThreads = config.intraOpThreads;
  if (config.interOpThreads !== undefined) options.interOpNumThreads = config.interOpThreads;
  if (config.executionMode) options.executionMode = config.executionMode;
  if (config.enableMemPattern !== undefined) options.enableMemPattern = config.enableMemPattern;
  if (config.enableCpuMemArena !== undefined) options.enableCpuMemArena = config.enableCpuMemArena;
  if (config.profileFilePrefix) {
    options.enableProfiling = true;
    options.profileFilePrefix = config.profileFilePrefix;
  }
  if (config.optimizedModelFilePath) options.optimizedModelFilePath = config.optimizedModelFilePath;
  if (config.allowSpinning !== undefined) {
    // Session config values must be strings; onnxruntime ignores numbers here.
    options.extra = { session: { intra_op: { allow_spinning: config.allowSpinning ? '1' : '0' } } };
  }
  return options;
}

/**
 * Opens a session, trying each requested provider in turn and recording which one ran.
 * Throws a one-line EdgeoptError when the model cannot be loaded by any of them.
 */
export async function openSession(model: string | Uint8Array, config: SessionConfig = {}): Promise<OpenedSession> {
  const providers = config.providers?.length ? config.providers : ['cpu'];
  const failedProviders: OpenedSession['failedProviders'] = [];
  for (const provider of providers) {
    const options = toSessionOptions(config, provider);
    const start = performance.now();
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, options)
          : await ort.InferenceSession.create(model, options);
      return { session, provider, failedProviders, options, createMs: performance.now() - start };
    } catch (err) {
      failedProviders.push({ provider, reason: describeError(err) });
    }
  }
  const where = typeof model === 'string' ? model : 'model';
  const reasons = failedProviders.map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new EdgeoptError(`onnxruntime could not load ${where} (${reasons})`);
}
