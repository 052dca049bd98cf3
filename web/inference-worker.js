// One onnxruntime-web session in its own worker. onnxruntime-web reads env.wasm.numThreads once per
// instance, when it first loads its wasm, so every (backend, threads) configuration gets a fresh
// worker with a fresh instance: that is what lets the page compare 1 thread with all threads.
// Timings are taken here, around session.run alone, so message passing is not part of them.
import { float16BitsToFloat32 } from '/lib/util/float16.js';

let ort;
let session;
let inputName;
let outputName;

async function init({ ortUrl, backend, threads, modelUrl }) {
  ort = await import(ortUrl);
  ort.env.wasm.wasmPaths = new URL('/ort/', self.location.href).href;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const response = await fetch(modelUrl);
  if (!response.ok) throw new Error(`model download failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const start = performance.now();
  session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel: 'all' });
  const createMs = performance.now() - start;
  inputName = session.inputNames[0];
  outputName = session.outputNames[0];
  // numThreads reads back what onnxruntime actually uses (it drops to 1 without cross-origin isolation).
  return { createMs, threads: ort.env.wasm.numThreads, inputName, outputName };
}

function makeInput(data, dims) {
  return new ort.Tensor(data instanceof Uint16Array ? 'float16' : 'float32', data, dims);
}

function toFloat32(tensor) {
  if (tensor.type === 'float32') return new Float32Array(tensor.data);
  if (tensor.type === 'float16') {
    const data = tensor.data;
    if (data instanceof Uint16Array) return Float32Array.from(data, float16BitsToFloat32);
    return Float32Array.from(data);
  }
  throw new Error(`unsupported output type ${tensor.type}`);
}

async function timedRun(input) {
  const start = performance.now();
  const outputs = await session.run({ [inputName]: input });
  const ms = performance.now() - start;
  return { ms, output: outputs[outputName] };
}

async function run({ data, dims }) {
  const { ms, output } = await timedRun(makeInput(data, dims));
  const values = toFloat32(output);
  return { result: { ms, output: values, dims: output.dims.slice() }, transfer: [values.buffer] };
}

async function bench({ data, dims, warmup, runs }) {
  const input = makeInput(data, dims);
  for (let i = 0; i < warmup; i++) await timedRun(input);
  const timings = [];
  for (let i = 0; i < runs; i++) timings.push((await timedRun(input)).ms);
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
