import { SCENARIO_NAMES, type ScenarioName } from '../bench/scenarios.js';
import { KNOWN_PROVIDERS } from '../runtime/providers.js';
import { isDeviceName } from '../store/device.js';
import { EdgeoptError } from '../util/errors.js';

/**
 * The jobs the fleet queue carries. A job is data only — which model (by sha256), which variant,
 * which measurement settings — and is validated field by field before an agent acts on it: an
 * agent never runs a command, a path or code taken from a job.
 */
export interface JobModel {
  sha256: string;
  /** File name stem, for logs and reports only (never used as a path). */
  name: string;
  sizeBytes: number;
}

interface JobBase {
  v: 1;
  submissionId: string;
  variant: string;
  model: JobModel;
  /** The runner is killed past this; the queue's lease is a little longer. */
  timeoutS: number;
}

export interface BenchJob extends JobBase {
  kind: 'bench';
  scenarios: ScenarioName[];
  runs: number;
  warmup: number;
  rounds: number;
  maxRuns?: number;
  /** Execution providers to try in order (default cpu); one that does not load fails the job with its reason. */
  providers?: string[];
}

/** The measurement settings a submission gives all its benchmark jobs. */
export type BenchSettings = Pick<BenchJob, 'scenarios' | 'runs' | 'warmup' | 'rounds' | 'maxRuns' | 'providers'>;

export interface EvalJob extends JobBase {
  kind: 'eval';
  /** The FP32 model, for output fidelity; absent for the FP32 variant itself. */
  reference?: JobModel;
  maxImages?: number;
}

export type FleetJob = BenchJob | EvalJob;

/** A queue per device and per tag: an agent works its device's queue and its tags' queues. */
export type Target = { device: string } | { tag: string };

export function targetName(target: Target): string {
  return 'device' in target ? `device:${target.device}` : `tag:${target.tag}`;
}

export function queueName(target: Target): string {
  return 'device' in target ? `edgeopt-device-${target.device}` : `edgeopt-tag-${target.tag}`;
}

export function parseTarget(kind: 'device' | 'tag', name: string): Target {
  if (!isDeviceName(name)) throw new EdgeoptError(`--${kind} '${name.slice(0, 80)}': use letters, digits, '.', '_' or '-' (at most 63)`);
  return kind === 'device' ? { device: name } : { tag: name };
}

export const MAX_JOB_TIMEOUT_S = 6 * 3600;

class InvalidJob extends EdgeoptError {}

function fail(message: string): never {
  throw new InvalidJob(`invalid job: ${message}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${field} must be an integer from ${min} to ${max}`);
  return v;
}

function name(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(v)) fail(`${field} must be a plain name`);
  return v;
}

function model(v: unknown, field: string): JobModel {
  if (!isRecord(v)) fail(`${field} must be an object`);
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) fail(`${field}.sha256 must be 64 hex digits`);
  return { sha256: v.sha256, name: name(v.name, `${field}.name`), sizeBytes: int(v.sizeBytes, `${field}.sizeBytes`, 1, 2 ** 40) };
}

function providers(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 8 || v.some((p) => typeof p !== 'string' || !(KNOWN_PROVIDERS as readonly string[]).includes(p))) {
    fail(`providers must be a list of ${KNOWN_PROVIDERS.join(', ')}`);
  }
  return [...new Set(v as string[])];
}

/** Validates a job's data and copies it into a fresh record (unknown fields are dropped). */
export function parseJob(data: unknown): FleetJob {
  if (!isRecord(data)) fail('not an object');
  if (data.v !== 1) fail(`unsupported job version ${String(data.v).slice(0, 20)}`);
  if (typeof data.submissionId !== 'string' || !/^[0-9a-f-]{36}$/.test(data.submissionId)) fail('submissionId must be a uuid');
  const base = {
    v: 1 as const,
    submissionId: data.submissionId,
    variant: name(data.variant, 'variant'),
    model: model(data.model, 'model'),
    timeoutS: int(data.timeoutS, 'timeoutS', 1, MAX_JOB_TIMEOUT_S),
  };
  if (data.kind === 'bench') {
    if (!Array.isArray(data.scenarios) || data.scenarios.length === 0 || data.scenarios.some((s) => !SCENARIO_NAMES.includes(s as ScenarioName))) {
      fail(`scenarios must be a list of ${SCENARIO_NAMES.join(', ')}`);
    }
    const runs = int(data.runs, 'runs', 1, 100_000);
    return {
      ...base,
      kind: 'bench',
      scenarios: [...new Set(data.scenarios as ScenarioName[])],
      runs,
      warmup: int(data.warmup, 'warmup', 0, 10_000),
      rounds: int(data.rounds, 'rounds', 1, 100),
      ...(data.maxRuns !== undefined ? { maxRuns: int(data.maxRuns, 'maxRuns', runs, 100_000) } : {}),
      ...(data.providers !== undefined ? { providers: providers(data.providers) } : {}),
    };
  }
  if (data.kind === 'eval') {
    return {
      ...base,
      kind: 'eval',
      ...(data.reference !== undefined ? { reference: model(data.reference, 'reference') } : {}),
      ...(data.maxImages !== undefined ? { maxImages: int(data.maxImages, 'maxImages', 1, 1e7) } : {}),
    };
  }
  fail(`unknown kind '${String(data.kind).slice(0, 20)}'`);
}
