// One onnxruntime-web session in its own worker, opened through edgeopt's Runtime (src/runtime/ort-web.ts,
// the same interface the CLI runs onnxruntime-node behind). onnxruntime-web reads env.wasm.numThreads once per
// instance, when it first loads its wasm, so every (backend, threads) configuration gets a fresh worker with a
// fresh instance: that is what lets the page compare 1 thread with all threads.
// Timings are taken here, around the inference alone, so message passing is not part of them; the benchmark
// prepares its feeds once and times runPrepared, exactly as the CLI's harness does.
import { createOrtWebRuntime } from '/lib/runtime/ort-web.js';
import { floatData } from '/lib/runtime/tensors.js';

let ort;
let session;
let input;
let output;

async function init({ ortUrl, backend, threads, modelUrl }) {
  ort = await import(ortUrl);
  ort.env.wasm.wasmPaths = new URL('/ort/', self.location.href).href;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`model download failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  session = await createOrtWebRuntime(ort).open(bytes, { providers: [backend], intraOpThreads: threads, graphOptimizationLevel: 'all' });
  input = session.inputs[0];
  output = session.outputs[0];
  // numThreads reads back what onnxruntime actually uses (it drops to 1 without cross-origin isolation).
  return { createMs: session.createMs, threads: ort.env.wasm.numThreads, inputName: input.name, outputName: output.name };
}

function prepare(data, dims) {
  return session.prepareFeeds({ [input.name]: { type: data instanceof Uint16Array ? 'float16' : 'float32', data, dims } });
}

async function run({ data, dims }) {
  const feeds = prepare(data, dims);
  const start = performance.now();
  const outputs = await session.run(feeds, [output.name]);
  const ms = performance.now() - start;
  const result = outputs[output.name];
  // Copied when the output is float32 already: its buffer belongs to onnxruntime and is transferred below.
  const values = result.type === 'float32' ? new Float32Array(result.data) : floatData(result, `output '${output.name}'`);
  return { result: { ms, output: values, dims: result.dims }, transfer: [values.buffer] };
}

async function bench({ data, dims, warmup, runs }) {
  const feeds = prepare(data, dims);
  for (let i = 0; i < warmup; i++) await session.runPrepared(feeds);
  const timings = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await session.runPrepared(feeds);
    timings.push(performance.now() - start);
  }
  return { result: { timings } };
}

self.onmessage = async (event) => {
  const { id, type, payload } = event.data;
  try {
    /** @type {{ result: unknown, transfer?: Transferable[] }} */
    let reply;
    if (type === 'init') reply = { result: await init(payload) };
    else if (type === 'run') reply = await run(payload);
    else if (type === 'bench') reply = await bench(payload);
    else throw new Error(`unknown message ${type}`);
    self.postMessage({ id, ok: true, result: reply.result }, { transfer: reply.transfer ?? [] });
  } catch (err) {
    self.postMessage({ id, ok: false, error: String(err?.message ?? err).split('\n')[0] });
  }
};
