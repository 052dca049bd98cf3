import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { ContractFlags } from '../eval/contract/types.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { DeviceResultsStore, InvalidReportError, parseDeviceReport } from './device-results.js';
import { describeDemoModel, publicModelInfo, type DemoModel, type DemoModelSource } from './models.js';
import { demoStaticRoutes, type StaticFile, type StaticRoutes } from './static-files.js';
import type { DeviceRecorder } from './store-devices.js';

export interface DemoServerOptions {
  models: DemoModelSource[];
  /** Where device results are appended; default `<dir of first model>/demo-results.json`. */
  resultsPath?: string;
  port?: number;
  host?: string;
  /** Override locations of the page, compiled modules and onnxruntime-web (tests, packaging). */
  webDir?: string;
  distDir?: string;
  ortDistDir?: string;
  /** Also records every report in the results store, the browser registered as a device. */
  recorder?: DeviceRecorder;
  /** `--preprocess`/`--decoder`/`--aux-input` for every model served (the rest from each model's contract). */
  contract?: ContractFlags;
}

export interface DemoServer {
  url: string;
  resultsPath: string;
  models: DemoModel[];
  close(): Promise<void>;
}

/** Largest accepted POST body: a report of 256 results is ~60 KB of JSON. */
export const MAX_REPORT_BYTES = 256 * 1024;

/**
 * Headers on every response. COOP + COEP make the page cross-origin isolated, which is what gives it
 * SharedArrayBuffer and so multi-threaded wasm; CORP lets those isolated documents load our files.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}

/** Serves one file with an ETag: pages revalidate (no-cache), so an edited file shows up on reload. */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): Promise<void> {
  const info = await stat(file.file);
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers = { ...SECURITY_HEADERS, 'Content-Type': file.contentType, 'Cache-Control': 'no-cache', ETag: etag };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': info.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolvePromise) => {
    const stream = createReadStream(file.file);
    stream.on('error', () => {
      res.destroy();
      resolvePromise();
    });
    stream.on('end', () => resolvePromise());
    stream.pipe(res);
  });
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'the body must be application/json');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REPORT_BYTES) throw new HttpError(413, `the body is larger than ${MAX_REPORT_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REPORT_BYTES) throw new HttpError(413, `the body is larger than ${MAX_REPORT_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

function allowMethods(req: IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? '')) throw new HttpError(405, `use ${methods.join(' or ')}`, { Allow: methods.join(', ') });
}

/** The request's path, decoded; malformed encodings are the client's error. */
function requestPath(req: IncomingMessage): string {
  const raw = req.url ?? '/';
  if (!raw.startsWith('/')) throw new HttpError(400, 'bad request target');
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(raw, 'http://demo.invalid').pathname);
  } catch {
    throw new HttpError(400, 'bad URL encoding');
  }
  // Routes are looked up in a fixed table, so these could never reach a file anyway; saying 400 is clearer.
  if (pathname.includes('\0') || pathname.includes('\\') || pathname.split('/').includes('..')) throw new HttpError(400, 'bad path');
  return pathname;
}

/**
 * Starts the demo server: the page, onnxruntime-web, the compiled detection modules, the models (by
 * index, never by path) and the device-results API. Resolves once it is listening.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  if (options.models.length === 0) throw new EdgeoptError('the demo needs at least one model');
  const routes: StaticRoutes = demoStaticRoutes(options);
  const models = await Promise.all(options.models.map((source, i) => describeDemoModel(source, i, options.contract)));
  const variantNames = new Set(models.map((m) => m.name));
  const resultsPath = options.resultsPath ?? join(dirname(models[0]!.path), 'demo-results.json');
  const store = new DeviceResultsStore(resultsPath, { schemaVersion: 1, kind: 'edgeopt-demo-results', variants: models.map((m) => m.name) });
  // A corrupt or unreadable results file is the user's to fix, so say so now rather than on the first post.
  await store.devices();
  const modelInfo = { models: models.map(publicModelInfo) };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req);
    if (path === '/api/models') {
      allowMethods(req, ['GET', 'HEAD']);
      return sendJson(res, 200, modelInfo);
    }
    if (path === '/api/results') {
      allowMethods(req, ['GET', 'HEAD', 'POST']);
      if (req.method === 'POST') {
        const report = parseDeviceReport(await readJsonBody(req), variantNames);
        const receivedAt = new Date();
        const stored = await store.append(report, receivedAt);
        let recorded: { device: string; run: string } | null = null;
        if (options.recorder) {
          // The results file has it already; a store that fails is said on stderr and in the answer, not fatal.
          recorded = await options.recorder.record(report, receivedAt).catch((err: unknown) => {
            process.stderr.write(`edgeopt: warning: demo: not recorded in the results store (${describeError(err)})\n`);
            return null;
          });
        }
        return sendJson(res, 201, { stored, recorded });
      }
      return sendJson(res, 200, { variants: models.map((m) => m.name), devices: await store.devices() });
    }
    const modelMatch = /^\/models\/(\d{1,4})$/.exec(path);
    if (modelMatch) {
      allowMethods(req, ['GET', 'HEAD']);
      const model = models[Number(modelMatch[1])];
      if (!model) throw new HttpError(404, 'no such model');
      return sendFile(req, res, { file: model.path, contentType: 'application/octet-stream' });
    }
    const file = routes.get(path);
    if (!file) throw new HttpError(404, 'not found');
    allowMethods(req, ['GET', 'HEAD']);
    return sendFile(req, res, file);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message }, err.headers);
      if (err instanceof InvalidReportError) return sendJson(res, 400, { error: err.message });
      // Our fault (e.g. an unreadable results file): say so, and keep serving.
      process.stderr.write(`edgeopt: demo: ${req.method} ${req.url}: ${describeError(err)}\n`);
      sendJson(res, 500, { error: describeError(err) });
    });
  });
  // Malformed HTTP never reaches the handler; answer it instead of letting it become an 'error' event.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new EdgeoptError(
          err.code === 'EADDRINUSE'
            ? `port ${options.port ?? 8080} on ${host} is already in use (choose another with --port)`
            : `cannot listen on ${host}:${options.port ?? 8080}: ${describeError(err)}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}/`,
    resultsPath,
    models,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}
