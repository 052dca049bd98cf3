import { createHash } from 'node:crypto';
import { sha256File } from '../store/capture.js';
import { maskSecrets, type StoreLocation } from '../store/location.js';
import type { BrowserTiming, LatencyRecord, NewRun } from '../store/records.js';
import { ResultsStore } from '../store/store.js';
import { describeError } from '../util/errors.js';
import type { PostedDeviceReport } from './device-results.js';
import type { DemoModel } from './models.js';

/**
 * Browsers as fleet devices: a report posted by "Benchmark this device" registers the browser as a
 * device of kind 'browser' (named by the person, or `browser-<id>` from the id the page keeps) and
 * records its timings as one run, the way agents and local benchmarks are recorded: every latency
 * names the sha256 of the model file the page ran.
 */
export interface DeviceRecorder {
  record(report: PostedDeviceReport, receivedAt: Date): Promise<{ device: string; run: string }>;
  close(): Promise<void>;
  display: string;
}

/** The store name of a browser: its given name, else derived from its id (or, lacking one, its user agent). */
export function browserDeviceName(device: PostedDeviceReport['device']): string {
  if (device.name) return device.name;
  const seed = device.id ?? createHash('sha256').update(`${device.userAgent}|${device.platform ?? ''}|${device.hardwareConcurrency}`).digest('hex');
  return `browser-${seed.replace(/-/g, '').slice(0, 8)}`;
}

export async function openDeviceRecorder(location: StoreLocation, models: readonly DemoModel[], modelName: string, toolVersion: string): Promise<DeviceRecorder> {
  const store = await ResultsStore.open(location);
  const hashes = new Map<string, string | undefined>();
  for (const m of models) hashes.set(m.name, await sha256File(m.path).catch(() => undefined));
  return {
    display: location.display,
    async record(report, receivedAt) {
      const name = browserDeviceName(report.device);
      // The backend plays the scenario's part: a browser's wasm and WebGPU timings are different series.
      const latencies: LatencyRecord[] = report.results.map(({ variant, backend, threads, ...timing }) => {
        const stats: BrowserTiming = timing;
        return { variant, modelSha256: hashes.get(variant), scenario: backend, threads, provider: backend, runs: stats.runs, p50Ms: stats.p50Ms, stats };
      });
      const run: NewRun = {
        kind: 'browser',
        createdAt: receivedAt.toISOString(),
        device: name,
        toolVersion,
        modelName,
        status: report.failures?.length ? (latencies.length ? 'partial' : 'failed') : 'complete',
        settings: { source: 'edgeopt demo: Benchmark this device' },
        provenance: { userAgent: report.device.userAgent, hardwareConcurrency: report.device.hardwareConcurrency, platform: report.device.platform },
        errors: (report.failures ?? []).map((f) => `${f.variant} ${f.backend}/${f.threads}: ${f.error}`),
        latencies,
        accuracies: [],
      };
      try {
        const id = await store.db.transaction(async (tx) => {
          const { userAgent, hardwareConcurrency, platform } = report.device;
          await store.upsertDevice({ name, kind: 'browser', tags: [], provenance: { userAgent, hardwareConcurrency, ...(platform ? { platform } : {}) } }, receivedAt.toISOString(), tx);
          return (await store.recordRun(run, tx)).id;
        });
        return { device: name, run: id };
      } catch (err) {
        throw new Error(maskSecrets(describeError(err), location));
      }
    },
    close: () => store.close(),
  };
}
