import * as ort from 'onnxruntime-node';
import { openSession, type OpenedSession, type SessionConfig } from './session.js';
import type { InputInfo, PlainTensor, PreparedFeeds, Runtime, RuntimeSession } from './runtime.js';

const RUNTIME_NAME = 'onnxruntime-node';

function ortVersion(): string {
  const versions = ort.env.versions as Record<string, string | undefined>;
  return versions.node ?? versions.common ?? 'unknown';
}

function toOrtTensor(tensor: PlainTensor): ort.Tensor {
  // onnxruntime-node wants Uint8Array for bool tensors and Uint16Array bits for float16.
  return new ort.Tensor(tensor.type, tensor.data as never, tensor.dims);
}

class OrtNodeSession implements RuntimeSession {
  readonly inputs: InputInfo[];

  constructor(
    readonly session: ort.InferenceSession,
    readonly provider: string,
    readonly failedProviders: Array<{ provider: string; reason: string }>,
    readonly options: Record<string, unknown>,
    readonly createMs: number,
  ) {
    this.inputs = session.inputMetadata.map((meta) => ({
      name: meta.name,
      type: meta.isTensor ? meta.type : 'non-tensor',
      shape: meta.isTensor ? [...meta.shape] : [],
    }));
  }

  prepareFeeds(tensors: Record<string, PlainTensor>): PreparedFeeds {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(tensors)) feeds[name] = toOrtTensor(tensor);
    return { runtime: RUNTIME_NAME, handle: feeds };
  }

  async run(feeds: PreparedFeeds): Promise<void> {
    await this.session.run(feeds.handle as Record<string, ort.Tensor>);
  }

  endProfiling(): string | undefined {
    // The node binding flushes the trace here but does not return its file name (the caller lists
    // the profile directory instead).
    const result = (this.session.endProfiling as () => unknown)();
    return typeof result === 'string' ? result : undefined;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Wraps a session opened by openSession() (used where the raw session is also needed, e.g. the overhead check). */
export function wrapOrtSession(opened: OpenedSession): RuntimeSession {
  return new OrtNodeSession(
    opened.session,
    opened.provider,
    opened.failedProviders,
    JSON.parse(JSON.stringify(opened.options)) as Record<string, unknown>,
    opened.createMs,
  );
}

export const ortNodeRuntime: Runtime = {
  name: RUNTIME_NAME,
  version: ortVersion(),
  async open(modelPath: string, config: SessionConfig): Promise<RuntimeSession> {
    return wrapOrtSession(await openSession(modelPath, config));
  },
};
