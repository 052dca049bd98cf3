/**
 * The Runtime on onnxruntime-web (wasm, WebGPU): the demo page's engine, behind the same interface as
 * onnxruntime-node's. The page loads the package itself (it picks the bundle per backend) and hands the module
 * in, so this file imports no package and runs in the browser as compiled (served from /lib/).
 *
 * Of SessionConfig it honours providers ('wasm', 'webgpu'), graph optimization, execution mode, memory pattern
 * and arena, log level, and intraOpThreads as `env.wasm.numThreads` — which onnxruntime-web reads once, when
 * its wasm first loads, so a different thread count needs a fresh instance (the page uses a worker per
 * configuration). Profiling, the optimized-model file, inter-op threads and spinning are node-only.
 */
import type * as OrtWeb from 'onnxruntime-web';
import { openOrtSession, type OrtApi } from './ort-session.js';
import type { Runtime, RuntimeSession, SessionConfig } from './runtime.js';
import { toSessionOptions, type OrtSessionOptions } from './session-options.js';

const RUNTIME_NAME = 'onnxruntime-web';

/** The backends the page loads onnxruntime-web for (the WebGPU one needs the full bundle and an adapter). */
export const WEB_PROVIDERS = ['wasm', 'webgpu'] as const;

/** What the web runtime hands to onnxruntime-web: the node-only options removed, not silently passed on. */
export function webSessionOptions(config: SessionConfig, provider: string): OrtSessionOptions {
  const { interOpNumThreads, intraOpNumThreads, enableProfiling, profileFilePrefix, optimizedModelFilePath, extra, ...honoured } = toSessionOptions(config, provider);
  return honoured;
}

export function createOrtWebRuntime(ort: typeof OrtWeb): Runtime {
  const api: OrtApi = ort;
  return {
    name: RUNTIME_NAME,
    version: ort.env.versions.web ?? ort.env.versions.common ?? 'unknown',
    supportedProviders: () => [...WEB_PROVIDERS],
    open(model: string | Uint8Array, config: SessionConfig = {}): Promise<RuntimeSession> {
      if (config.intraOpThreads !== undefined) ort.env.wasm.numThreads = config.intraOpThreads;
      return openOrtSession(model, config, { api, runtimeName: RUNTIME_NAME, engine: 'onnxruntime-web', defaultProviders: ['wasm'], sessionOptions: webSessionOptions });
    },
  };
}
