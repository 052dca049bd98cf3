// A model session living in its own worker (see inference-worker.js), behind three async calls.
// The page never branches on the backend beyond choosing which onnxruntime-web bundle to load.

/** The wasm-only bundle is half the download; the full bundle adds WebGPU (JSEP). */
function ortBundleFor(backend) {
  return backend === 'webgpu' ? '/ort/ort.min.mjs' : '/ort/ort.wasm.min.mjs';
}

export class Detector {
  #worker;
  #nextId = 1;
  #pending = new Map();
  /** Set by `create`: what the worker's session reports. @type {{ createMs: number, threads: number, inputName: string, outputName: string }} */
  info;

  constructor(model, backend, threads) {
    this.model = model;
    this.backend = backend;
    this.requestedThreads = threads;
    this.#worker = new Worker(new URL('./inference-worker.js', import.meta.url), { type: 'module', name: `edgeopt-${model.name}` });
    this.#worker.onmessage = (event) => {
      const { id, ok, result, error } = event.data;
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      if (ok) pending.resolve(result);
      else pending.reject(new Error(error));
    };
    this.#worker.onerror = (event) => {
      const error = new Error(event.message || 'the inference worker failed to start');
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
  }

  #call(type, payload, transfer = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, type, payload }, transfer);
    });
  }

  /** Creates the worker and the session; `info.threads` is what onnxruntime actually uses. */
  static async create(model, backend, threads) {
    const detector = new Detector(model, backend, threads);
    try {
      detector.info = await detector.#call('init', {
        ortUrl: new URL(ortBundleFor(backend), location.href).href,
        backend,
        threads,
        modelUrl: new URL(`/models/${model.index}`, location.href).href,
      });
    } catch (err) {
      detector.dispose();
      throw err;
    }
    return detector;
  }

  /**
   * One inference on every input the model takes (a feed record); the feed buffers are transferred (unusable
   * afterwards). Returns {ms, outputs: [{name, dims, data}]} with every output in the model's order.
   */
  run(feeds) {
    return this.#call('run', { feeds }, [...new Set(Object.values(feeds).map((t) => t.data.buffer))]);
  }

  /** `warmup` untimed then `runs` timed inferences on one feed record; returns {timings}. */
  bench(feeds, warmup, runs) {
    return this.#call('bench', { feeds, warmup, runs });
  }

  dispose() {
    this.#worker.terminate();
    for (const pending of this.#pending.values()) pending.reject(new Error('detector disposed'));
    this.#pending.clear();
  }
}
