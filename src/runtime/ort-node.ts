/**
 * The Runtime on onnxruntime-node: the CLI's engine, and the only module in edgeopt that imports it.
 * It honours every SessionConfig option.
 */
import * as ort from 'onnxruntime-node';
import { openOrtSession, OrtPreparedFeeds, OrtSession, type OrtApi, type OrtFeeds, type OrtInferenceSessionLike } from './ort-session.js';
import type { PreparedFeeds, Runtime, RuntimeSession, SessionConfig } from './runtime.js';
import { toSessionOptions } from './session-options.js';

const RUNTIME_NAME = 'onnxruntime-node';

function ortVersion(): string {
  const versions = ort.env.versions as Record<string, string | undefined>;
  return versions.node ?? versions.common ?? 'unknown';
}

const api: OrtApi = ort;

export const ortNodeRuntime: Runtime = {
  name: RUNTIME_NAME,
  version: ortVersion(),
  supportedProviders: () => ort.listSupportedBackends().map((b) => b.name),
  open(model: string | Uint8Array, config: SessionConfig = {}): Promise<RuntimeSession> {
    return openOrtSession(model, config, { api, runtimeName: RUNTIME_NAME, engine: 'onnxruntime', defaultProviders: ['cpu'], sessionOptions: toSessionOptions });
  },
};

/**
 * The engine's own session and feeds, for the harness-overhead check only: a bare `await session.run(feeds)`
 * loop is timed beside the harness's `runPrepared` on the same session and feeds.
 */
export function nativeOf(session: RuntimeSession, feeds: PreparedFeeds): { session: OrtInferenceSessionLike; feeds: OrtFeeds } {
  if (!(session instanceof OrtSession) || !(feeds instanceof OrtPreparedFeeds)) throw new TypeError('nativeOf needs an onnxruntime-node session and its feeds');
  return { session: session.native, feeds: feeds.native };
}
