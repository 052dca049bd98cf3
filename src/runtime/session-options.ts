import type { SessionConfig } from './runtime.js';

/**
 * The session options onnxruntime's JavaScript API takes (onnxruntime-common's `SessionOptions`, which the
 * node and web packages share), written out so that this module stays free of any package import.
 */
export interface OrtSessionOptions {
  executionProviders: string[];
  graphOptimizationLevel: NonNullable<SessionConfig['graphOptimizationLevel']>;
  logSeverityLevel: NonNullable<SessionConfig['logSeverityLevel']>;
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionMode?: NonNullable<SessionConfig['executionMode']>;
  enableMemPattern?: boolean;
  enableCpuMemArena?: boolean;
  enableProfiling?: boolean;
  profileFilePrefix?: string;
  optimizedModelFilePath?: string;
  extra?: { session: { intra_op: { allow_spinning: '0' | '1' } } };
}

/** The engine options for one provider attempt: every setting explicit, so provenance can show it. */
export function toSessionOptions(config: SessionConfig, provider: string): OrtSessionOptions {
  const options: OrtSessionOptions = {
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
