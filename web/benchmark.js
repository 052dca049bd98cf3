// "Benchmark this device": every variant × configuration, timed in the browser, posted to the server.
import { computeTimingStats } from '/lib/bench/stats.js';
import { Detector } from './detector.js';

/**
 * Configurations to measure: wasm on 1 thread (the controlled baseline), wasm on every logical core
 * (only when cross-origin isolation gives wasm threads), and WebGPU when the browser has an adapter.
 */
export function benchmarkConfigs({ hardwareConcurrency, isolated, webgpu }) {
  const configs = [{ backend: 'wasm', threads: 1 }];
  if (isolated && hardwareConcurrency > 1) configs.push({ backend: 'wasm', threads: hardwareConcurrency });
  if (webgpu) configs.push({ backend: 'webgpu', threads: 1 });
  return configs;
}

/**
 * Runs the plan one session at a time (so measurements do not compete): one result per variant ×
 * configuration that ran, and one failure (with its error) per configuration that could not.
 */
export async function benchmarkDevice({ models, configs, inputFor, warmup, runs, onProgress }) {
  const results = [];
  const failures = [];
  const total = models.length * configs.length;
  for (const model of models) {
    for (const config of configs) {
      onProgress?.(`${model.name} · ${config.backend} · ${config.threads} thread${config.threads > 1 ? 's' : ''} (${results.length + failures.length + 1}/${total})`);
      let detector;
      try {
        detector = await Detector.create(model, config.backend, config.threads);
        const { timings } = await detector.bench(inputFor(model), warmup, runs);
        const stats = computeTimingStats(timings);
        results.push({
          variant: model.name,
          backend: config.backend,
          threads: detector.info.threads,
          runs: stats.runs,
          warmup,
          p50Ms: stats.p50Ms,
          meanMs: stats.meanMs,
          p95Ms: stats.p95Ms,
          minMs: stats.minMs,
          maxMs: stats.maxMs,
          stdMs: stats.stdMs,
          createMs: detector.info.createMs,
        });
      } catch (err) {
        failures.push({ variant: model.name, backend: config.backend, threads: config.threads, error: String(err?.message || err || 'failed').slice(0, 400) });
      } finally {
        detector?.dispose();
      }
    }
  }
  return { results, failures };
}

const DEVICE_ID_KEY = 'edgeopt-device-id';
const DEVICE_NAME_KEY = 'edgeopt-device-name';

/** A random id kept in this browser, so that it is one device in the results store across visits. */
/** @param {Storage | undefined} [storage] @returns {string} */
export function browserDeviceId(storage = globalThis.localStorage) {
  let id = storage?.getItem(DEVICE_ID_KEY) ?? undefined;
  if (!id || !/^[0-9a-f-]{8,64}$/.test(id)) {
    id = crypto.randomUUID();
    storage?.setItem(DEVICE_ID_KEY, id);
  }
  return id;
}

/** The name this browser had last time, or `browser-<first 8 of its id>`. */
/** @param {Storage | undefined} [storage] @returns {string} */
export function defaultDeviceName(storage = globalThis.localStorage) {
  return storage?.getItem(DEVICE_NAME_KEY) || `browser-${browserDeviceId(storage).replace(/-/g, '').slice(0, 8)}`;
}

/** Keeps only the characters a device name may have (letters, digits, '.', '_', '-'), at most 63. */
/** @param {unknown} name @returns {string} */
export function cleanDeviceName(name) {
  return String(name ?? '').trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
}

/**
 * @param {string} [name]
 * @param {Storage | undefined} [storage]
 * @returns {import('../src/results/devices.js').BrowserDeviceInfo}
 */
export function deviceDescription(name, storage = globalThis.localStorage) {
  /** @type {import('../src/results/devices.js').BrowserDeviceInfo} */
  const device = { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency || 1, id: browserDeviceId(storage) };
  const platform = /** @type {any} */ (navigator).userAgentData?.platform || navigator.platform;
  if (platform) device.platform = platform;
  const clean = cleanDeviceName(name);
  if (clean) {
    device.name = clean;
    storage?.setItem(DEVICE_NAME_KEY, clean);
  }
  return device;
}

export async function postResults(device, { results, failures }) {
  const response = await fetch('/api/results', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ device, results, failures }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`the server refused the results: ${body.error ?? `HTTP ${response.status}`}`);
  return { stored: body.stored, recorded: body.recorded ?? null };
}
