/**
 * The browser benchmark records of results.json `devices`: what the demo page posts and the server stores
 * (a specific form of results/schema.ts `DeviceReport`, checked assignable where the server stores it).
 * Types only, without node imports, so the page (web/*.js) is type-checked against the same declarations.
 */

/** What a browser says about the device it runs on. */
export interface BrowserDeviceInfo {
  userAgent: string;
  hardwareConcurrency: number;
  platform?: string;
  /** The name the person gave this browser; it becomes the device's name in the results store. */
  name?: string;
  /** A random id the page keeps in localStorage, so one browser is one device across visits. */
  id?: string;
}

export type BrowserBackend = 'wasm' | 'webgpu';

/** One variant × backend × threads timed on a device. */
export interface BrowserBenchResult {
  variant: string;
  backend: BrowserBackend;
  threads: number;
  runs: number;
  warmup?: number;
  p50Ms: number;
  meanMs: number;
  p95Ms: number;
  minMs?: number;
  maxMs?: number;
  stdMs?: number;
  /** Session creation time (model compile), separate from the steady-state latency. */
  createMs?: number;
}

/** A variant × backend that could not run on the device (e.g. an operator WebGPU lacks). */
export interface BrowserBenchFailure {
  variant: string;
  backend: BrowserBackend;
  threads: number;
  error: string;
}

/** One device's browser benchmark, as stored in results.json `devices` (the demo server adds `receivedAt`). */
export interface BrowserDeviceReport {
  receivedAt: string;
  device: BrowserDeviceInfo;
  /** Timed configurations only, so every reader can rely on the timing fields. */
  results: BrowserBenchResult[];
  failures?: BrowserBenchFailure[];
}
