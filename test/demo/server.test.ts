import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidReportError, parseDeviceReport } from '../../src/demo/device-results.js';
import { startDemoServer, type DemoServer } from '../../src/demo/server.js';
import { importSpecifiers, libRoutes } from '../../src/demo/static-files.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT, asset, hasAssets } from '../helpers/assets.js';
import { ensureBrowserModulesBuilt } from './support.js';

const FP32 = asset('models', 'yolov5nu_fp32.onnx');
const INT8 = asset('models', 'yolov5nu_int8_dynamic_published.onnx');

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent byte for byte (fetch would normalise `..` away before it left the client). */
function raw(url: string, path: string, options: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function postJson(url: string, body: unknown): Promise<RawResponse> {
  return raw(url, '/api/results', { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
}

const device = { userAgent: 'Mozilla/5.0 (test device)', hardwareConcurrency: 4, platform: 'Linux' };
const result = (variant: string, p50Ms = 100) => ({ variant, backend: 'wasm', threads: 1, runs: 20, p50Ms, meanMs: p50Ms + 1, p95Ms: p50Ms + 5 });

describe('device report validation', () => {
  const variants = new Set(['fp32', 'int8']);

  it('keeps the schema fields and drops everything else', async () => {
    const failure = { variant: 'int8', backend: 'webgpu', threads: 1, error: 'no adapter' };
    const report = parseDeviceReport(
      { device: { ...device, secret: 'x' }, results: [{ ...result('fp32'), extra: { a: 1 } }], failures: [{ ...failure, p50Ms: 3 }], more: 1 },
      variants,
    );
    expect(report).toEqual({ device, results: [result('fp32')], failures: [failure] });
    expect(parseDeviceReport({ device, results: [result('int8')] }, variants)).toEqual({ device, results: [result('int8')] });
  });

  it.each([
    ['not an object', []],
    ['no device', { results: [result('fp32')] }],
    ['empty user agent', { device: { ...device, userAgent: '' }, results: [result('fp32')] }],
    ['fractional core count', { device: { ...device, hardwareConcurrency: 2.5 }, results: [result('fp32')] }],
    ['no results', { device, results: [] }],
    ['a failure without its error', { device, failures: [{ variant: 'fp32', backend: 'wasm', threads: 1 }] }],
    ['a result without timings', { device, results: [{ variant: 'fp32', backend: 'wasm', threads: 1, runs: 3 }] }],
    ['unknown variant', { device, results: [result('../../etc/passwd')] }],
    ['unknown backend', { device, results: [{ ...result('fp32'), backend: 'cuda' }] }],
    ['negative latency', { device, results: [{ ...result('fp32'), p50Ms: -1 }] }],
    ['latency as a string', { device, results: [{ ...result('fp32'), meanMs: '12' }] }],
    ['infinite latency', { device, results: [{ ...result('fp32'), p95Ms: Number.POSITIVE_INFINITY }] }],
    ['too many results', { device, results: Array.from({ length: 300 }, () => result('fp32')) }],
  ])('rejects %s', (_what, body) => {
    expect(() => parseDeviceReport(body, variants)).toThrow(InvalidReportError);
  });
});

describe('browser module table', () => {
  it('follows relative imports and refuses modules that need node', async () => {
    expect(importSpecifiers(`import { a } from './a.js';\nexport { b } from "../b.js";\nimport './side.js';\nexport * from './c.js';`)).toEqual([
      './a.js',
      '../b.js',
      './side.js',
      './c.js',
    ]);
    const dist = mkdtempSync(join(tmpdir(), 'edgeopt-demo-dist-'));
    try {
      mkdirSync(join(dist, 'eval'));
      writeFileSync(join(dist, 'eval', 'decode.js'), `import { x } from '../util/x.js';\nexport const y = x;\n`);
      mkdirSync(join(dist, 'util'));
      writeFileSync(join(dist, 'util', 'x.js'), `export const x = 1;\n`);
      expect([...libRoutes(dist, ['eval/decode.js']).keys()].sort()).toEqual(['/lib/eval/decode.js', '/lib/util/x.js']);
      writeFileSync(join(dist, 'util', 'x.js'), `import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n`);
      expect(() => libRoutes(dist, ['eval/decode.js'])).toThrow(/imports 'node:fs', so it cannot run in the browser/);
      expect(() => libRoutes(dist, ['image/letterbox.js'])).toThrow(/letterbox\.js, which is missing: run npm run build/);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasAssets)('demo server', () => {
  let tmp: string;
  let server: DemoServer;
  let runDir: string;

  beforeAll(async () => {
    ensureBrowserModulesBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'edgeopt-demo-server-'));
    // An `edgeopt run` folder: device results must be appended without disturbing the rest of the file.
    runDir = join(tmp, 'run');
    mkdirSync(runDir);
    writeFileSync(
      join(runDir, 'results.json'),
      JSON.stringify({ schemaVersion: 1, model: 'yolov5nu', variants: [{ name: 'FP32', path: FP32, sizeBytes: 1 }, { name: 'INT8 dynamic', path: INT8, sizeBytes: 2 }] }),
    );
    server = await startDemoServer({
      models: [
        { name: 'FP32', path: FP32 },
        { name: 'INT8 dynamic', path: INT8 },
      ],
      resultsPath: join(runDir, 'results.json'),
      port: 0,
    });
  });

  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 by default', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('describes the models: size, input, output and class names from the metadata', async () => {
    const res = await raw(server.url, '/api/models');
    expect(res.status).toBe(200);
    const { models } = JSON.parse(res.body);
    expect(models).toHaveLength(2);
    expect(models[0]).toMatchObject({ index: 0, name: 'FP32', inputName: 'images', inputShape: [1, 3, 640, 640], inputType: 'float32', outputShape: [1, 84, 8400] });
    expect(models[0].sizeBytes).toBe(readFileSync(FP32).byteLength);
    expect(models[0].classNames).toHaveLength(80);
    expect(models[0].classNames[5]).toBe('bus');
    // The client learns names and indices, never where the files are.
    expect(res.body).not.toContain(FP32);
  });

  it('sends COOP, COEP and CORP with every response, with the right content types', async () => {
    const cases: Array<[string, number, string]> = [
      ['/', 200, 'text/html'],
      ['/app.js', 200, 'text/javascript'],
      ['/ort/ort.wasm.min.mjs', 200, 'text/javascript'],
      ['/ort/ort-wasm-simd-threaded.wasm', 200, 'application/wasm'],
      ['/ort/ort-wasm-simd-threaded.jsep.wasm', 200, 'application/wasm'],
      ['/lib/eval/decode.js', 200, 'text/javascript'],
      ['/lib/eval/nms.js', 200, 'text/javascript'],
      ['/models/1', 200, 'application/octet-stream'],
      ['/api/results', 200, 'application/json'],
      ['/nope', 404, 'application/json'],
    ];
    for (const [path, status, type] of cases) {
      const res = await raw(server.url, path, { method: 'HEAD' });
      expect(res.status, path).toBe(status);
      expect(res.headers['content-type'], path).toContain(type);
      expect(res.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy'], path).toBe('require-corp');
      expect(res.headers['cross-origin-resource-policy'], path).toBe('same-origin');
    }
  });

  it('serves the model bytes by index and revalidates with an ETag', async () => {
    const res = await raw(server.url, '/models/0');
    expect(Number(res.headers['content-length'])).toBe(readFileSync(FP32).byteLength);
    const again = await raw(server.url, '/models/0', { headers: { 'If-None-Match': String(res.headers.etag) } });
    expect(again.status).toBe(304);
    expect((await raw(server.url, '/models/2')).status).toBe(404);
  });

  it('serves only its own files: no path traversal, no files outside the allow-list', async () => {
    const attempts = [
      '/../../etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%252e%252e/etc/passwd',
      '/lib/../../package.json',
      '/lib/..%2f..%2fpackage.json',
      '/lib/cli/main.js',
      '/lib/demo/server.js',
      '/ort/../package.json',
      '/ort/ort.node.min.js',
      '/models/../../etc/passwd',
      '/models/0/../../../etc/passwd',
      '/models/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/models/' + encodeURIComponent(FP32),
      '/web/index.html',
      '/..\\..\\etc\\passwd',
      '/%00',
      '/%E0%A4%A',
      '/package.json',
    ];
    for (const path of attempts) {
      const res = await raw(server.url, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toMatch(/root:|"name": "edgeopt"|ONNX/);
      expect(JSON.parse(res.body).error, path).toBeTypeOf('string');
    }
  });

  it('answers bad result posts with 4xx and a JSON error, and keeps running', async () => {
    const bad: Array<[string, Promise<RawResponse>, number]> = [
      ['invalid JSON', raw(server.url, '/api/results', { method: 'POST', body: '{"device":', headers: { 'Content-Type': 'application/json' } }), 400],
      ['wrong content type', raw(server.url, '/api/results', { method: 'POST', body: JSON.stringify({ device, results: [result('FP32')] }), headers: { 'Content-Type': 'text/plain' } }), 415],
      ['too large (declared)', raw(server.url, '/api/results', { method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'Content-Type': 'application/json' } }), 413],
      [
        'too large (chunked, no length)',
        raw(server.url, '/api/results', { method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }),
        413,
      ],
      ['wrong schema', postJson(server.url, { device, results: [{ ...result('FP32'), backend: 'cuda' }] }), 400],
      ['unknown variant', postJson(server.url, { device, results: [result('fp64')] }), 400],
      ['wrong method', raw(server.url, '/api/results', { method: 'DELETE' }), 405],
      ['POST to the models list', raw(server.url, '/api/models', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }), 405],
      ['POST to a page', raw(server.url, '/index.html', { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }), 405],
    ];
    for (const [what, pending, status] of bad) {
      const res = await pending.catch((err: NodeJS.ErrnoException) => {
        // The server may close the connection on an oversized body before the client finishes sending it.
        if (status === 413 && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) return { status: 413, headers: {}, body: '{"error":"closed"}' };
        throw err;
      });
      expect(res.status, what).toBe(status);
      expect(JSON.parse(res.body).error, what).toBeTypeOf('string');
    }
    expect(JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')).devices).toBeUndefined();
    expect((await raw(server.url, '/api/models')).status).toBe(200);
  });

  it('appends concurrent reports without losing one, keeping the run results intact', async () => {
    const posts = Array.from({ length: 8 }, (_, i) => postJson(server.url, { device: { ...device, hardwareConcurrency: i + 1 }, results: [result('FP32', 100), result('INT8 dynamic', 100 + i)] }));
    const responses = await Promise.all(posts);
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    const file = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    expect(file).toMatchObject({ schemaVersion: 1, model: 'yolov5nu', variants: [{ name: 'FP32' }, { name: 'INT8 dynamic' }] });
    expect(file.devices).toHaveLength(8);
    expect(new Set(file.devices.map((d: { device: { hardwareConcurrency: number } }) => d.device.hardwareConcurrency))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(file.devices[0].receivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const listed = JSON.parse((await raw(server.url, '/api/results')).body);
    expect(listed.variants).toEqual(['FP32', 'INT8 dynamic']);
    expect(listed.devices).toHaveLength(8);
  });
});

describe.skipIf(!hasAssets)('edgeopt demo (CLI)', () => {
  it('refuses to start without models, and with a folder that is not a run', async () => {
    const none = await runCli(['demo']);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/^edgeopt: error: give --run <dir> or --model <onnx>\.\.\.\n$/);
    const dir = mkdtempSync(join(tmpdir(), 'edgeopt-demo-norun-'));
    try {
      const notRun = await runCli(['demo', '--run', dir]);
      expect(notRun.status).not.toBe(0);
      expect(notRun.stderr).toMatch(/^edgeopt: error: results file not found: .*results\.json\n$/);
      writeFileSync(join(dir, 'corrupt.json'), '{"devices": [');
      const corrupt = await runCli(['demo', '--model', FP32, '--results', join(dir, 'corrupt.json'), '--port', '0']);
      expect(corrupt.stderr).toMatch(/^edgeopt: error: .*corrupt\.json is not a valid results file/);
      const missing = await runCli(['demo', '--model', join(dir, 'missing.onnx')]);
      expect(missing.stderr).toMatch(/^edgeopt: error: model not found: .*missing\.onnx\n$/);
      const port = await runCli(['demo', '--model', FP32, '--port', '70000']);
      expect(port.stderr).toContain('--port must be an integer from 0 to 65535');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves a run folder, prints the URL, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeopt-demo-cli-'));
    // The run writes model file names, relative to its folder.
    copyFileSync(FP32, join(dir, 'model_fp32.onnx'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ schemaVersion: 1, variants: [{ name: 'FP32', path: 'model_fp32.onnx' }] }));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'demo', '--run', dir, '--port', '0'], { cwd: REPO_ROOT });
    try {
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${stdout}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', () => reject(new Error(`exited early: ${stdout}`)));
      });
      expect(stdout).toContain(`device results -> ${join(dir, 'results.json')}`);
      const models = JSON.parse((await raw(url, '/api/models')).body).models;
      expect(models.map((m: { name: string }) => m.name)).toEqual(['FP32']);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!hasAssets)('browser reports in the results store', () => {
  it('register the browser as a device under its given name and record its timings as one run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgeopt-demo-store-'));
    const { openDeviceRecorder, browserDeviceName } = await import('../../src/demo/store-devices.js');
    const { describeDemoModel } = await import('../../src/demo/models.js');
    const { resolveStoreLocation } = await import('../../src/store/location.js');
    const { ResultsStore } = await import('../../src/store/store.js');
    const models = [{ name: 'FP32', path: FP32 }];
    const location = resolveStoreLocation(join(dir, 'store.db'));
    const recorder = await openDeviceRecorder(location, await Promise.all(models.map((m, i) => describeDemoModel(m, i))), 'yolov5nu', '0.1.0');
    const demo = await startDemoServer({ models, resultsPath: join(dir, 'results.json'), port: 0, recorder });
    try {
      const named = await postJson(demo.url, { device: { ...device, name: 'my-phone', id: 'ABCDEF12-0000-4000-8000-000000000000' }, results: [result('FP32', 80)] });
      expect(named.status, named.body).toBe(201);
      expect(JSON.parse(named.body).recorded).toMatchObject({ device: 'my-phone', run: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const anonymous = await postJson(demo.url, { device: { ...device, id: 'abcdef12-0000-4000-8000-000000000000' }, results: [result('FP32', 90)] });
      expect(JSON.parse(anonymous.body).recorded.device).toBe('browser-abcdef12');
      expect(browserDeviceName({ userAgent: 'UA', hardwareConcurrency: 2 })).toMatch(/^browser-[0-9a-f]{8}$/);
      const bad = await postJson(demo.url, { device: { ...device, name: 'my phone; drop' }, results: [result('FP32')] });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).error).toMatch(/device\.name may use letters/);
    } finally {
      await demo.close();
      await recorder.close();
    }
    const store = await ResultsStore.open(location);
    try {
      expect((await store.devices()).map((d) => [d.name, d.kind])).toEqual([['browser-abcdef12', 'browser'], ['my-phone', 'browser']]);
      const [run] = await store.runs({ device: 'my-phone' });
      expect(run).toMatchObject({ kind: 'browser', modelName: 'yolov5nu', latencies: [{ variant: 'FP32', scenario: 'wasm', threads: 1, provider: 'wasm', p50Ms: 80 }] });
      expect(run!.latencies[0]!.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
