import { serveDemo } from './serve.js';

/** `edgeopt run --demo`: serve the variants the run just wrote, until Ctrl+C. */
export function startDemoFromRun(runDir: string, options: { port?: number; host?: string } = {}): Promise<void> {
  return serveDemo({ run: runDir, port: options.port, host: options.host });
}
