import { readFile } from 'node:fs/promises';
import type { BrowserBenchFailure, BrowserBenchResult, BrowserDeviceInfo, BrowserDeviceReport, DeviceReport } from '../results/schema.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { isDeviceName } from '../store/device.js';

/**
 * Browser benchmark results that devices post to the demo server, and the file they are appended to.
 * Everything a client sends is validated field by field and copied into a fresh record: unknown
 * fields are dropped, so the results file only ever holds what this schema describes.
 */
/** A report as a device posts it: the stored record less the arrival time the server adds. */
export type PostedDeviceReport = Omit<BrowserDeviceReport, 'receivedAt'>;

/** The client's mistake, answered with HTTP 400 and this message. */
export class InvalidReportError extends Error {
  override name = 'InvalidReportError';
}

export const MAX_RESULTS_PER_REPORT = 256;

function fail(message: string): never {
  throw new InvalidReportError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    fail(`${field} must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${field} must be an integer from ${min} to ${max}`);
  return value;
}

function milliseconds(value: unknown, field: string): number {
  // An hour per inference is far beyond any real device; anything larger is a broken client.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 3_600_000) fail(`${field} must be a number of milliseconds`);
  return value;
}

const OPTIONAL_TIMING_FIELDS = ['minMs', 'maxMs', 'stdMs', 'createMs'] as const;

function parseConfig(value: unknown, where: string, variants: ReadonlySet<string>): Record<string, unknown> & Pick<BrowserBenchResult, 'variant' | 'backend' | 'threads'> {
  if (!isRecord(value)) fail(`${where} must be an object`);
  const variant = text(value.variant, `${where}.variant`, 200);
  if (!variants.has(variant)) fail(`${where}.variant '${variant.slice(0, 60)}' is not one of the served variants`);
  if (value.backend !== 'wasm' && value.backend !== 'webgpu') fail(`${where}.backend must be 'wasm' or 'webgpu'`);
  return { ...value, variant, backend: value.backend, threads: integer(value.threads, `${where}.threads`, 1, 1024) };
}

function parseResult(value: unknown, where: string, variants: ReadonlySet<string>): BrowserBenchResult {
  const v = parseConfig(value, where, variants);
  const result: BrowserBenchResult = {
    variant: v.variant,
    backend: v.backend,
    threads: v.threads,
    runs: integer(v.runs, `${where}.runs`, 1, 100_000),
    p50Ms: milliseconds(v.p50Ms, `${where}.p50Ms`),
    meanMs: milliseconds(v.meanMs, `${where}.meanMs`),
    p95Ms: milliseconds(v.p95Ms, `${where}.p95Ms`),
  };
  if (v.warmup !== undefined) result.warmup = integer(v.warmup, `${where}.warmup`, 0, 100_000);
  for (const field of OPTIONAL_TIMING_FIELDS) {
    if (v[field] !== undefined) result[field] = milliseconds(v[field], `${where}.${field}`);
  }
  return result;
}

function parseFailure(value: unknown, where: string, variants: ReadonlySet<string>): BrowserBenchFailure {
  const v = parseConfig(value, where, variants);
  return { variant: v.variant, backend: v.backend, threads: v.threads, error: text(v.error, `${where}.error`, 500) };
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_RESULTS_PER_REPORT) fail(`${field} must be an array of at most ${MAX_RESULTS_PER_REPORT} entries`);
  return value;
}

/** Validates a posted report against the variants this server serves. Throws InvalidReportError. */
export function parseDeviceReport(body: unknown, variants: ReadonlySet<string>): PostedDeviceReport {
  if (!isRecord(body)) fail('the report must be a JSON object');
  if (!isRecord(body.device)) fail('device must be an object');
  const device: BrowserDeviceInfo = {
    userAgent: text(body.device.userAgent, 'device.userAgent', 1000),
    hardwareConcurrency: integer(body.device.hardwareConcurrency, 'device.hardwareConcurrency', 1, 4096),
  };
  if (body.device.platform !== undefined && body.device.platform !== '') device.platform = text(body.device.platform, 'device.platform', 200);
  if (body.device.name !== undefined && body.device.name !== '') {
    const name = text(body.device.name, 'device.name', 63);
    if (!isDeviceName(name)) fail("device.name may use letters, digits, '.', '_' and '-' (at most 63)");
    device.name = name;
  }
  if (body.device.id !== undefined) {
    const id = text(body.device.id, 'device.id', 64);
    if (!/^[0-9a-f-]{8,64}$/i.test(id)) fail('device.id must be a hex/uuid string');
    device.id = id.toLowerCase();
  }
  const results = list(body.results, 'results').map((r, i) => parseResult(r, `results[${i}]`, variants));
  const failures = list(body.failures, 'failures').map((r, i) => parseFailure(r, `failures[${i}]`, variants));
  if (results.length + failures.length === 0) fail('the report has no results');
  return failures.length > 0 ? { device, results, failures } : { device, results };
}

/**
 * Appends device reports to a JSON results file under a key `devices`, keeping every other field of
 * the file as it was (an `edgeopt run` results.json stays a valid run result). Appends are chained
 * so that two concurrent posts never read the same old file and lose one another's entry.
 */
export class DeviceResultsStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    /** Fields of a new file when none exists yet (the --model mode). */
    private readonly newFile: Record<string, unknown> = {},
  ) {}

  private async readDocument(): Promise<Record<string, unknown>> {
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...this.newFile };
      throw new EdgeoptError(`cannot read ${this.path}: ${describeError(err)}`);
    }
    try {
      const doc: unknown = JSON.parse(raw);
      if (!isRecord(doc)) throw new Error('not a JSON object');
      return doc;
    } catch (err) {
      throw new EdgeoptError(`${this.path} is not a valid results file: ${describeError(err)}`);
    }
  }

  async devices(): Promise<BrowserDeviceReport[]> {
    await this.queue.catch(() => undefined);
    const devices = (await this.readDocument()).devices;
    return Array.isArray(devices) ? (devices as BrowserDeviceReport[]) : [];
  }

  append(report: PostedDeviceReport, receivedAt: Date): Promise<BrowserDeviceReport> {
    // `satisfies`: what is stored must stay readable by everything else that reads results.json `devices`.
    const stored = { receivedAt: receivedAt.toISOString(), ...report } satisfies BrowserDeviceReport & DeviceReport;
    const task = this.queue.catch(() => undefined).then(async () => {
      const doc = await this.readDocument();
      const devices = Array.isArray(doc.devices) ? doc.devices : [];
      doc.devices = [...devices, stored];
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`);
      return stored;
    });
    this.queue = task;
    return task;
  }
}
