import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { EdgeoptError } from '../util/errors.js';
import { modelSourcesFromPaths, modelSourcesFromRun, type DemoModelSource } from './models.js';
import { startDemoServer } from './server.js';

export interface ServeDemoOptions {
  /** An `edgeopt run` output folder: its variants are served and device results go to its results.json. */
  run?: string;
  /** ONNX files to serve instead of a run's variants. */
  models?: string[];
  /** Device results file for `models` (default: demo-results.json beside the first model). */
  resultsPath?: string;
  port?: number;
  host?: string;
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
  const server = await startDemoServer({ models: sources, resultsPath, port: options.port ?? 8080, host });
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
  await stopSignal();
  await server.close();
}
