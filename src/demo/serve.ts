import { networkInterfaces } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ContractFlags } from '../eval/contract/types.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { modelSourcesFromPaths, modelSourcesFromRun, type DemoModelSource } from './models.js';
import { startDemoServer } from './server.js';
import type { DeviceRecorder } from './store-devices.js';

export interface ServeDemoOptions {
  /** An `edgeopt run` output folder: its variants are served and device results go to its results.json. */
  run?: string;
  /** ONNX files to serve instead of a run's variants. */
  models?: string[];
  /** Device results file for `models` (default: demo-results.json beside the first model). */
  resultsPath?: string;
  port?: number;
  host?: string;
  /** Results store for the browsers' reports: a URL or path, false for none, undefined for the default. */
  store?: string | false;
  /** `--preprocess`/`--decoder`/`--aux-input` for every model served (the rest from each model's contract). */
  contract?: ContractFlags;
  /** Where the banner goes (stdout by default). */
  write?: (text: string) => void;
}

/** Addresses other devices on the network can use when the server listens on every interface. */
function lanUrls(port: number): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `http://${a!.address}:${port}/`);
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<void> {
  return new Promise((resolvePromise) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolvePromise();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Opens the results store for browser reports; the implicit default store may fail with a warning only. */
async function openRecorder(spec: string | undefined, sources: DemoModelSource[], run: string | undefined, write: (text: string) => void, contract: ContractFlags | undefined): Promise<DeviceRecorder | undefined> {
  const { resolveStoreLocation, maskSecrets } = await import('../store/location.js');
  const { openDeviceRecorder } = await import('./store-devices.js');
  const { describeDemoModel } = await import('./models.js');
  const { TOOL_VERSION } = await import('../util/version.js');
  const location = resolveStoreLocation(spec);
  const models = await Promise.all(sources.map((s, i) => describeDemoModel(s, i, contract)));
  let modelName = models[0]!.name;
  if (run) {
    const { readResults } = await import('../results/io.js');
    modelName = (await readResults(join(run, 'results.json')).catch(() => undefined))?.model?.name ?? basename(resolve(run));
  }
  try {
    return await openDeviceRecorder(location, models, modelName, TOOL_VERSION);
  } catch (err) {
    const message = maskSecrets(describeError(err), location);
    if (spec !== undefined || process.env.EDGEOPT_STORE) throw new EdgeoptError(`cannot open the results store: ${message}`);
    write(`edgeopt: warning: browser reports will not be recorded in the results store (${message})\n`);
    return undefined;
  }
}

/** Starts the demo server, says where to open it, and serves until Ctrl+C (or SIGTERM). */
export async function serveDemo(options: ServeDemoOptions): Promise<void> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (!options.run && !options.models?.length) throw new EdgeoptError('give --run <dir> or --model <onnx>...');
  if (options.run && options.models?.length) throw new EdgeoptError('give either --run or --model, not both');
  let sources: DemoModelSource[];
  let resultsPath = options.resultsPath === undefined ? undefined : resolve(options.resultsPath);
  if (options.run) {
    if (resultsPath) throw new EdgeoptError("--results applies to --model; with --run, device results go to the run's results.json");
    ({ sources, resultsPath } = await modelSourcesFromRun(options.run));
  } else {
    sources = modelSourcesFromPaths(options.models!);
  }
  const host = options.host ?? '127.0.0.1';
  const recorder = options.store === false ? undefined : await openRecorder(options.store, sources, options.run, write, options.contract);
  const server = await startDemoServer({ models: sources, resultsPath, port: options.port ?? 8080, host, recorder, contract: options.contract }).catch(async (err: unknown) => {
    await recorder?.close();
    throw err;
  });
  const port = Number(new URL(server.url).port);
  const everywhere = host === '0.0.0.0' || host === '::';
  const lines = [`edgeopt demo: ${server.models.map((m) => m.name).join(', ')}`, `  open ${everywhere ? `http://127.0.0.1:${port}/` : server.url}`];
  if (everywhere) {
    for (const url of lanUrls(port)) lines.push(`  or   ${url}`);
    // Browsers grant the camera, WebGPU and SharedArrayBuffer only to secure contexts (https, or localhost).
    lines.push('  (from another device over plain http: image and video files work; the camera and wasm threads need https or localhost)');
  }
  lines.push(`  device results -> ${server.resultsPath}`, '  Ctrl+C to stop');
  write(`${lines.join('\n')}\n`);
  if (recorder) write(`  browser reports are also recorded in the results store ${recorder.display}\n`);
  await stopSignal();
  await server.close();
  await recorder?.close();
}
