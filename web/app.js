// The demo page: a frame source (camera, image or video file) → letterbox → onnxruntime-web in a
// worker → edgeopt's own decode + NMS → boxes on a canvas, with live latency; plus the device benchmark.
import { mean, percentile } from '/lib/bench/stats.js';
import { DISPLAY_THRESHOLDS } from '/lib/eval/decode.js';
import { detectionLabel } from '/lib/detect/annotate.js';
import { className } from '/lib/eval/names.js';
import { benchmarkConfigs, benchmarkDevice, defaultDeviceName, deviceDescription, postResults } from './benchmark.js';
import { Detector } from './detector.js';
import { decodeFrame, frameFeeds, greyFeeds } from './frame.js';
import { drawFrame } from './overlay.js';
import { renderComparison } from './results-table.js';

/** Live statistics cover the last this-many frames. */
const ROLLING_WINDOW = 30;

/**
 * The page element with this test id (any: the page knows which kind of element each id is).
 * @param {string} id
 * @returns {any}
 */
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

/**
 * @typedef {import('../src/demo/api.js').DemoModelInfo} DemoModel
 * @typedef {import('../src/results/devices.js').BrowserBenchResult} BrowserBenchResult
 * @typedef {import('../src/results/devices.js').BrowserBenchFailure} BrowserBenchFailure
 * @typedef {{ kind: 'camera' | 'image' | 'video', element: any, stream?: MediaStream, objectUrl?: string, name?: string }} FrameSource
 * @typedef {{ width: number, height: number, variant: string, backend: string, threads: number }} FrameInfo
 * @typedef {import('../src/eval/decode.js').Detection & { className: string }} NamedDetection
 */

/**
 * Everything a test (or a curious user in the console) may want to read.
 * @type {{
 *   ready: boolean, crossOriginIsolated: boolean, webgpu: boolean, models: DemoModel[], variant: number, backend: string,
 *   threads: number, source: FrameSource | null, frames: number, sourceFrames: number, lastFrame: FrameInfo | null,
 *   lastDetections: NamedDetection[], lastLatencyMs: number | null,
 *   latency: { meanMs: number | null, p95Ms: number | null, fps: number | null },
 *   benchmark: { status: string, progress: string, results: BrowserBenchResult[], failures: BrowserBenchFailure[], error: string | null, recorded: { device: string, run: string } | null },
 *   errors: string[],
 * }}
 */
const state = {
  ready: false,
  crossOriginIsolated: self.crossOriginIsolated === true,
  webgpu: false,
  models: [],
  variant: 0,
  backend: 'wasm',
  threads: 1,
  source: null,
  /** Frames analysed in total, and since the current source was chosen. */
  frames: 0,
  sourceFrames: 0,
  lastFrame: null,
  lastDetections: [],
  lastLatencyMs: null,
  latency: { meanMs: null, p95Ms: null, fps: null },
  benchmark: { status: 'idle', progress: '', results: [], failures: [], error: null, recorded: null },
  errors: [],
};
/** @type {any} */ (window).edgeoptDemo = state;

let detector = null;
let detectorKey = '';
let running = false;
let loopDone = Promise.resolve();
let inferenceTimes = [];
let frameTimes = [];
let lastFrameEnd = 0;

function setStatus(text) {
  $('status').textContent = text;
}

function reportError(where, err) {
  const message = `${where}: ${String(err?.message ?? err).split('\n')[0]}`;
  state.errors.push(message);
  setStatus(message);
  console.error(message);
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function detectWebgpu() {
  const gpu = /** @type {any} */ (navigator).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** The live session for the selected variant, backend and threads, replaced when any of them changes. */
async function currentDetector() {
  const model = state.models[state.variant];
  const key = `${model.index}/${state.backend}/${state.threads}`;
  if (detector && detectorKey === key) return detector;
  detector?.dispose();
  detector = null;
  detectorKey = key;
  setStatus(`loading ${model.name} (${state.backend}, ${state.threads} thread${state.threads > 1 ? 's' : ''})…`);
  const created = await Detector.create(model, state.backend, state.threads);
  if (detectorKey !== key) {
    // The selection changed while this one loaded.
    created.dispose();
    return currentDetector();
  }
  detector = created;
  setStatus(`${model.name} on ${state.backend}, ${created.info.threads} thread${created.info.threads > 1 ? 's' : ''} (session created in ${created.info.createMs.toFixed(0)} ms)`);
  return detector;
}

function sourceSize(source) {
  const el = source.element;
  if (el instanceof HTMLVideoElement) return [el.videoWidth, el.videoHeight];
  return [el.width, el.height];
}

function updateLiveStats(inferenceMs, now) {
  inferenceTimes.push(inferenceMs);
  if (inferenceTimes.length > ROLLING_WINDOW) inferenceTimes.shift();
  if (lastFrameEnd > 0) frameTimes.push(now - lastFrameEnd);
  if (frameTimes.length > ROLLING_WINDOW) frameTimes.shift();
  lastFrameEnd = now;
  state.lastLatencyMs = inferenceMs;
  const latency = {
    meanMs: mean(inferenceTimes),
    p95Ms: percentile(inferenceTimes, 0.95),
    fps: frameTimes.length > 0 ? 1000 / mean(frameTimes) : null,
  };
  state.latency = latency;
  $('latency-last').textContent = inferenceMs.toFixed(1);
  $('latency-mean').textContent = latency.meanMs.toFixed(1);
  $('latency-p95').textContent = latency.p95Ms.toFixed(1);
  $('fps').textContent = latency.fps === null ? '—' : latency.fps.toFixed(1);
}

function showDetections(detections, classNames) {
  const list = $('detections');
  list.replaceChildren(
    ...detections.map((d) => {
      const li = document.createElement('li');
      li.textContent = `${detectionLabel(d, classNames)}  [${d.box.map((v) => Math.round(v)).join(', ')}]`;
      return li;
    }),
  );
}

function showNote(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('detections').replaceChildren(li);
}

async function processFrame(source) {
  const [width, height] = sourceSize(source);
  const el = source.element;
  if (!width || !height || (el instanceof HTMLVideoElement && el.readyState < HTMLMediaElement.HAVE_CURRENT_DATA)) return false;
  const live = await currentDetector();
  // A video moves on during inference: keep the frame that was analysed, so the boxes are drawn on it.
  const frame = source.kind === 'image' ? source.element : await createImageBitmap(source.element);
  try {
    return await detectAndDraw(live, frame, width, height);
  } finally {
    if (frame !== source.element) frame.close();
  }
}

async function detectAndDraw(live, frame, width, height) {
  const model = live.model;
  const { feeds, geometry } = frameFeeds(frame, width, height, model);
  const { ms, outputs } = await live.run(feeds);
  const classNames = model.classNames;
  // A model the page cannot decode is still run and timed, but no box it cannot read is drawn.
  const detections = model.detectionsNote ? [] : decodeFrame(model, outputs, geometry, width, height, { ...DISPLAY_THRESHOLDS });
  drawFrame($('view'), frame, width, height, detections, classNames);
  state.frames += 1;
  state.sourceFrames += 1;
  state.lastFrame = { width, height, variant: model.name, backend: live.backend, threads: live.info.threads };
  state.lastDetections = detections.map((d) => ({ ...d, className: className(classNames, d.classId) }));
  updateLiveStats(ms, performance.now());
  if (model.detectionsNote) showNote(`detections not drawn: ${model.detectionsNote}`);
  else showDetections(detections, classNames);
  return true;
}

async function liveLoop() {
  while (running && state.source) {
    try {
      const drew = await processFrame(state.source);
      // Give the browser a turn between frames; wait a little longer while a video has no frame yet.
      await new Promise((resolve) => setTimeout(resolve, drew ? 0 : 50));
    } catch (err) {
      reportError('inference', err);
      running = false;
    }
  }
  $('pause').textContent = 'Resume';
}

async function startLoop() {
  // A paused loop may still be finishing its frame; two loops would share one session.
  await loopDone;
  if (running || !state.source) return;
  running = true;
  $('pause').textContent = 'Pause';
  inferenceTimes = [];
  frameTimes = [];
  lastFrameEnd = 0;
  loopDone = liveLoop();
}

async function stopLoop() {
  running = false;
  await loopDone;
}

async function useSource(source) {
  await stopLoop();
  const previous = state.source;
  if (previous?.stream) for (const track of previous.stream.getTracks()) track.stop();
  if (previous?.objectUrl) URL.revokeObjectURL(previous.objectUrl);
  if (previous?.kind === 'image' && previous.element !== source.element) previous.element.close();
  state.source = source;
  state.sourceFrames = 0;
  await startLoop();
}

async function startCamera() {
  try {
    if (!navigator.mediaDevices?.getUserMedia) {
      // Browsers expose the camera only to secure contexts: https, or localhost.
      throw new Error('this page cannot use a camera over plain http from another device (needs https or localhost); open an image or video file instead');
    }
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    await useSource({ kind: 'camera', element: video, stream });
  } catch (err) {
    reportError('camera', err);
  }
}

async function openFile(file) {
  try {
    if (file.type.startsWith('image/')) {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      await useSource({ kind: 'image', element: bitmap, name: file.name });
    } else if (file.type.startsWith('video/')) {
      const video = $('video');
      video.srcObject = null;
      const objectUrl = URL.createObjectURL(file);
      video.src = objectUrl;
      video.loop = true;
      video.muted = true;
      await video.play();
      await useSource({ kind: 'video', element: video, objectUrl, name: file.name });
    } else {
      throw new Error(`${file.name} is neither an image nor a video`);
    }
  } catch (err) {
    reportError('file', err);
  }
}

/** Benchmark input: the current frame when there is one (realistic activations), else plain grey. */
function benchmarkInputFor(model) {
  const source = state.source;
  if (source) {
    const [width, height] = sourceSize(source);
    if (width && height) {
      return frameFeeds(source.element, width, height, model).feeds;
    }
  }
  return greyFeeds(model);
}

async function refreshComparison() {
  const { devices, variants } = await fetchJson('/api/results');
  renderComparison($('results-table'), devices, variants);
  return devices;
}

async function runBenchmark() {
  const button = $('benchmark');
  button.disabled = true;
  const wasRunning = running;
  await stopLoop();
  // The live session would compete with the measured one for the same cores.
  detector?.dispose();
  detector = null;
  detectorKey = '';
  const runs = Math.max(1, Math.min(1000, Number($('bench-runs').value) || 20));
  const warmup = Math.max(0, Math.min(100, Number($('bench-warmup').value) || 0));
  Object.assign(state.benchmark, { status: 'running', progress: '', results: [], failures: [], error: null });
  try {
    const configs = benchmarkConfigs({ hardwareConcurrency: navigator.hardwareConcurrency || 1, isolated: state.crossOriginIsolated, webgpu: state.webgpu });
    const measured = await benchmarkDevice({
      models: state.models,
      configs,
      inputFor: benchmarkInputFor,
      warmup,
      runs,
      onProgress: (text) => {
        state.benchmark.progress = text;
        $('bench-status').textContent = `measuring ${text}…`;
      },
    });
    state.benchmark.results = measured.results;
    state.benchmark.failures = measured.failures;
    $('bench-status').textContent = 'sending results…';
    const { recorded } = await postResults(deviceDescription($('bench-device-name').value), measured);
    state.benchmark.recorded = recorded;
    await refreshComparison();
    const failed = measured.failures.length;
    $('bench-status').textContent = `done: ${measured.results.length} measurements sent${recorded ? ` and recorded for device ${recorded.device}` : ''}${failed ? `, ${failed} failed (hover the table cells)` : ''}`;
    state.benchmark.status = 'done';
  } catch (err) {
    state.benchmark.status = 'error';
    state.benchmark.error = String(err?.message ?? err);
    $('bench-status').textContent = `benchmark failed: ${state.benchmark.error}`;
  } finally {
    button.disabled = false;
    if (wasRunning) startLoop();
    else setStatus(state.source ? 'paused' : 'choose a camera or a file');
  }
}

function fillSelect(select, options, selected) {
  select.replaceChildren(
    ...options.map(({ value, label, disabled }) => {
      const option = document.createElement('option');
      option.value = String(value);
      option.textContent = label;
      option.disabled = Boolean(disabled);
      option.selected = value === selected;
      return option;
    }),
  );
}

async function init() {
  const cores = navigator.hardwareConcurrency || 1;
  $('isolation').textContent = state.crossOriginIsolated
    ? `cross-origin isolated: wasm threads available (${cores} logical cores)`
    : 'not cross-origin isolated (plain http from another device?): wasm runs on 1 thread';
  const { models } = await fetchJson('/api/models');
  state.models = models;
  state.webgpu = await detectWebgpu();
  fillSelect(
    $('variant-select'),
    models.map((m) => ({ value: m.index, label: `${m.name} (${(m.sizeBytes / 1e6).toFixed(1)} MB)` })),
    0,
  );
  fillSelect(
    $('backend-select'),
    [
      { value: 'wasm', label: 'wasm (CPU)' },
      { value: 'webgpu', label: state.webgpu ? 'WebGPU' : 'WebGPU (not available here)', disabled: !state.webgpu },
    ],
    'wasm',
  );
  const threadOptions = [{ value: 1, label: '1 thread' }];
  if (cores > 1) threadOptions.push({ value: cores, label: `${cores} threads`, disabled: !state.crossOriginIsolated });
  fillSelect($('threads-select'), threadOptions, 1);

  $('variant-select').addEventListener('change', (e) => (state.variant = Number(/** @type {HTMLSelectElement} */ (e.target).value)));
  $('backend-select').addEventListener('change', (e) => (state.backend = /** @type {HTMLSelectElement} */ (e.target).value));
  $('threads-select').addEventListener('change', (e) => (state.threads = Number(/** @type {HTMLSelectElement} */ (e.target).value)));
  $('start-camera').addEventListener('click', startCamera);
  $('file-input').addEventListener('change', (e) => {
    const files = /** @type {HTMLInputElement} */ (e.target).files;
    if (files?.[0]) openFile(files[0]);
  });
  $('pause').addEventListener('click', () => (running ? stopLoop() : startLoop()));
  $('benchmark').addEventListener('click', runBenchmark);
  $('bench-device-name').value = defaultDeviceName();
  // The page works without the table; a failure here must not stop detection.
  await refreshComparison().catch((err) => reportError('device results', err));
  state.ready = true;
  setStatus('choose a camera or a file');
}

init().catch((err) => reportError('start-up', err));
