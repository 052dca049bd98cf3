import type { BenchStats } from '../bench/benchmark.js';
import type { MachineProvenance } from '../bench/provenance.js';
import type { DeviceReport, VariantResult } from '../results/schema.js';

/**
 * What the results store holds, as plain typed records. The pieces come from results.json's schema
 * (src/results/schema.ts) wherever one exists: latency statistics are `BenchStats`, the machine is
 * `MachineProvenance`, accuracy is a variant's `accuracy`/`fidelity`.
 */
export type DeviceKind = 'machine' | 'browser';

/** A machine's provenance, plus what an agent adds: memory and the providers that actually load. */
export interface MachineDeviceProvenance extends MachineProvenance {
  memoryBytes: number;
  /** Execution providers that opened a session on this device (agents probe them at start). */
  providers?: string[];
}

export interface BrowserDeviceProvenance {
  userAgent: string;
  hardwareConcurrency?: number;
  platform?: string;
}

export interface DeviceRecord {
  name: string;
  kind: DeviceKind;
  /** A hash identifying the physical host (never the raw machine id). */
  hostId?: string;
  tags: string[];
  provenance: MachineDeviceProvenance | BrowserDeviceProvenance;
  firstSeen: string;
  lastSeen: string;
}

/** What produced a run record. */
export type RunKind = 'run' | 'bench' | 'eval' | 'search' | 'fleet' | 'browser';
export const RUN_KINDS: readonly RunKind[] = ['run', 'bench', 'eval', 'search', 'fleet', 'browser'];

/** Latency figures a browser reports (results.json `devices[].results[]`): no CI, fewer percentiles. */
export type BrowserTiming = Omit<DeviceReport['results'][number], 'variant' | 'backend' | 'threads'> &
  Partial<Record<'warmup' | 'minMs' | 'maxMs' | 'stdMs' | 'createMs', number>>;

export interface LatencyRecord {
  variant: string;
  modelSha256?: string;
  /** 'controlled', 'practical', 'sweep', or the browser backend ('wasm', 'webgpu'). */
  scenario: string;
  threads: number;
  /** The execution provider (or browser backend) that actually ran. */
  provider: string;
  runs: number;
  p50Ms: number;
  /** 95% CI of the median, when the harness computed one. */
  medianCi95?: [number, number];
  stats: BenchStats | BrowserTiming;
}

/** A variant's `accuracy` from results.json, with what the store needs to find it again. */
export type AccuracyRecord = NonNullable<VariantResult['accuracy']> & {
  variant: string;
  modelSha256?: string;
  /** The dataset as the measuring side named it (a path or a name). */
  dataset: string;
  fidelity?: VariantResult['fidelity'];
};

export type RunStatus = 'complete' | 'partial' | 'failed';

export interface RunRecord {
  id: string;
  kind: RunKind;
  createdAt: string;
  device: string;
  toolVersion: string;
  modelName: string;
  status: RunStatus;
  /** The settings the measurement ran with (runs, warmup, scenarios, dataset, …). */
  settings: Record<string, unknown>;
  /** Where it ran: machine provenance, provider fallbacks, input shapes, child pids. */
  provenance: Record<string, unknown>;
  errors: string[];
  submissionId?: string;
  jobId?: string;
  latencies: LatencyRecord[];
  accuracies: AccuracyRecord[];
}

export type NewRun = Omit<RunRecord, 'id' | 'createdAt'> & { id?: string; createdAt?: string };
