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

async function init({ ortUrl, backend, threads, modelUrl }) {
  ort = await import(ortUrl);
  ort.env.wasm.wasmPaths = new URL('/ort/', self.location.href).href;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`model download failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  session = await createOrtWebRuntime(ort).open(bytes, { providers: [backend], intraOpThreads: threads, graphOptimizationLevel: 'all' });
  // numThreads reads back what onnxruntime actually uses (it drops to 1 without cross-origin isolation).
  return { createMs: session.createMs, threads: ort.env.wasm.numThreads, inputName: session.inputs[0].name, outputName: session.outputs[0].name };
}

/**
 * An output as the decoders read it: float16 widened, integer types (labels, counts) as numbers.
 * Always a fresh array: onnxruntime's buffer is not ours to transfer.
 */
function plainValues(result, name) {
  if (result.type === 'float32') return new Float32Array(result.data);
  if (result.type === 'float16') return floatData(result, `output '${name}'`);
  if (result.type === 'int64' || result.type === 'uint64') return Float64Array.from(result.data, Number);
  if (typeof result.data?.length === 'number') return Float64Array.from(result.data, Number);
  throw new Error(`output '${name}' has element type ${result.type}, which the page cannot read`);
}

/** Every output of one inference on `feeds` (every input the model takes, built by the page from the contract). */
async function run({ feeds: record }) {
  const feeds = session.prepareFeeds(record);
  const names = session.outputs.map((o) => o.name);
  const start = performance.now();
  const outputs = await session.run(feeds, names);
  const ms = performance.now() - start;
  const plain = names.map((name) => ({ name, dims: outputs[name].dims, data: plainValues(outputs[name], name) }));
  return { result: { ms, outputs: plain }, transfer: plain.map((o) => o.data.buffer) };
}

async function bench({ feeds: record, warmup, runs }) {
  const feeds = session.prepareFeeds(record);
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
